"""The application context both front ends drive: paths, settings, history, models.

Nothing heavy happens at import or construction: the database is opened on
first use, and a model is loaded only by :meth:`Hearth.load_engine`, on the
thread that will own it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import cached_property
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import Paths, Settings, load_settings, save_settings
from app.engines.base import Engine, GenerationOptions

if TYPE_CHECKING:  # SQLAlchemy takes a second to import: only on first use
    from app.catalog.fit import Fit
    from app.catalog.registry import ModelEntry, ModelRegistry
    from app.chat.cloud import CloudService
    from app.chat.session import ChatService
    from app.costs.pricing import PriceTable
    from app.engines.ollama_engine import OllamaEngine
    from app.privacy.redactor import Redactor
    from app.secrets import SecretStore
    from app.storage.audit import LanAudit
    from app.storage.history import History

log = logging.getLogger("hearth")


def setup_logging(paths: Paths) -> None:
    """Log to a rotating file in the logs folder (never to the user's terminal)."""
    root = logging.getLogger("hearth")
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return
    paths.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        paths.logs_dir / "hearth.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


class Hearth:
    def __init__(self, paths: Paths | None = None, settings: Settings | None = None) -> None:
        self.paths = paths or Paths.from_env()
        self.paths.ensure()
        self.settings = settings or load_settings(self.paths)

    @cached_property
    def history(self) -> History:
        from app.storage.history import History

        return History(self.paths.database_file)

    @cached_property
    def models(self) -> ModelRegistry:
        from app.catalog.registry import ModelRegistry

        return ModelRegistry(self.history, self.paths.models_dir, self.settings.model.default)

    @property
    def redactor(self) -> Redactor:
        from app.privacy.redactor import shared_redactor

        return shared_redactor(self.settings.privacy)

    @property
    def secrets(self) -> SecretStore:
        from app.secrets import SecretStore

        return SecretStore()

    def prices(self) -> PriceTable:
        """The bundled price table plus the user's ``pricing.toml`` (read fresh each time)."""
        from app.costs.pricing import load_prices

        return load_prices(self.paths.config_dir / "pricing.toml")

    def cloud(self) -> CloudService:
        from app.chat.cloud import CloudService

        return CloudService(self.history, self.settings, self.redactor, self.secrets, self.prices())

    def download_model(
        self,
        name: str,
        progress: Callable[[int, int], None] | None = None,
        cancel: Any = None,
    ) -> ModelEntry:
        """Download a catalog model, verify it, register it, and audit the request."""
        from app.catalog.catalog import catalog_entry
        from app.catalog.download import download, refuse_offline
        from app.engines.remote import host_of
        from app.errors import HearthError
        from app.storage.audit import EgressLog

        entry = catalog_entry(name, self.paths.config_dir / "catalog.toml")
        refuse_offline(self.settings.network.mode)  # before anything is recorded
        log = EgressLog(self.history)
        row = log.record(
            provider="model download",
            host=host_of(entry.url),
            model=entry.name,
            payload_sha256=hashlib.sha256(b"").hexdigest(),  # a GET: no body is sent
            bytes_sent=0,
            redacted={},
            message_id=None,
        )
        try:
            path = download(
                entry,
                self.paths.models_dir,
                mode=self.settings.network.mode,
                progress=progress,
                cancel=cancel,
                timeout_s=self.settings.network.request_timeout_s,
            )
        except HearthError as exc:
            log.finish(row, outcome=exc.message)
            raise
        except KeyboardInterrupt:
            log.finish(row, outcome="interrupted")
            raise
        log.finish(row, outcome=f"complete ({entry.size_bytes:,} bytes received, SHA-256 ok)")
        return self.models.add(path, entry.name, sha256=entry.sha256)

    def remote_models(self) -> list[str]:
        """Models of the Ollama and self-hosted servers the user turned on ("ollama:NAME",
        "server:NAME"); a server that does not answer is left out."""
        from app.errors import HearthError

        names: list[str] = []
        engines = self.settings.engines
        if engines.ollama.enabled:
            names += [f"ollama:{m}" for m in self.ollama_status()["models"]]
        if engines.server.enabled:
            from app.engines.server_engine import open_server_engine

            try:
                engine = open_server_engine(
                    self.settings, "-", secrets=self.secrets, on_request=self.lan_audit_tap()
                )
                try:
                    names += [f"server:{m}" for m in engine.list_models()]
                finally:
                    engine.close()
            except HearthError as exc:
                log.info("self-hosted server not listed: %s", exc.message)
        return names

    def ollama_status(self) -> dict[str, Any]:
        """Is the configured Ollama server running, and which models does it have?"""
        from app.engines.ollama_engine import ollama_status

        url = self.settings.engines.ollama.base_url
        return ollama_status(url, on_request=self.lan_audit_tap("ollama"))

    def ollama_engine(self, model: str) -> OllamaEngine:
        """An engine for one of the configured Ollama server's models."""
        from app.engines.ollama_engine import OllamaEngine

        url = self.settings.engines.ollama.base_url
        return OllamaEngine(model, url, on_request=self.lan_audit_tap("ollama"))

    def lan_audit_tap(self, provider: str = "server") -> LanAudit:
        """A request tap that audits requests to servers on other machines (LAN): the
        self-hosted server and Ollama; loopback traffic never leaves this computer."""
        from app.storage.audit import LanAudit

        return LanAudit(self.history, provider)

    def save_settings(self) -> None:
        save_settings(self.paths, self.settings)

    @property
    def bench_file(self) -> Path:
        """Where ``hearth bench`` keeps its last results."""
        return self.paths.data_dir / "bench.json"

    def measured_tokens_per_second(self) -> tuple[float, str] | None:
        """This computer's decode speed and where it comes from: ``hearth bench``'s last
        measurement, else the median of the local replies of the last 30 days."""
        import json

        try:
            value = json.loads(self.bench_file.read_text()).get("decode_tokens_per_s_engine")
        except (OSError, ValueError, AttributeError):
            value = None
        if isinstance(value, int | float) and value > 0:
            return float(value), "hearth bench"
        speed = self.history.local_reply_speed(30)
        return (speed, "your local replies, last 30 days") if speed else None

    def apply_settings(self, changes: dict[str, str]) -> dict[str, str]:
        """Change several settings at once (all valid, or none changed), save them, and
        update the process's network policy.  Returns {key: message} for invalid values."""
        errors = self.settings.apply(changes)
        if errors or not changes:
            return errors
        self.save_settings()
        from app.privacy.network import current_policy, enforce

        if current_policy() is not None:
            network = self.settings.network
            enforce(network.mode, set(network.trusted_hosts))
        return {}

    def generation_options(self) -> GenerationOptions:
        return self.settings.model.generation_options()

    def plan_load(self, entry: ModelEntry) -> tuple[int, int, Fit]:
        """(n_ctx, n_gpu_layers, fit) for loading ``entry`` on this computer."""
        from app.catalog.fit import context_for, fit, gpu_layers_setting, shape_from_info
        from app.catalog.gguf_info import inspect_gguf
        from app.catalog.hardware import detect

        cfg = self.settings.model
        n_ctx = context_for(cfg.n_ctx, entry.context_length)
        info = inspect_gguf(entry.path)
        shape = shape_from_info(info)
        verdict = fit(shape, n_ctx, detect())
        wanted = entry.gpu_layers or cfg.gpu_layers
        return n_ctx, gpu_layers_setting(wanted, verdict.gpu_layers), verdict

    def load_engine(self, entry: ModelEntry, warn: Callable[[str], None] | None = None) -> Engine:
        """Load ``entry`` with llama.cpp (slow: call it off the GUI thread).

        Checks the fit first: a model that won't fit is refused with the numbers
        (no swap storm, no crash); a tight fit is loaded with a warning.
        """
        from app.engines.llamacpp import LlamaCppEngine
        from app.errors import ModelError

        n_ctx, n_gpu_layers, verdict = self.plan_load(entry)
        if verdict.verdict == "won't fit":
            raise ModelError(
                f"{entry.name} won't fit this computer's memory. {verdict.reason}",
                hint="Lower model.n_ctx, close other programs, or pick a smaller model "
                "or quantization.",
            )
        if verdict.verdict == "tight" and warn is not None:
            warn(f"{entry.name} is a tight fit: {verdict.reason}")
        log.info(
            "loading model %s (n_ctx=%d, n_gpu_layers=%d, %s)",
            entry.name,
            n_ctx,
            n_gpu_layers,
            verdict.device,
        )
        return LlamaCppEngine(
            entry.path,
            model_name=entry.name,
            n_ctx=n_ctx,
            n_threads=self.settings.model.n_threads,
            n_gpu_layers=n_gpu_layers,
        )

    def chat_service(self, engine: Engine) -> ChatService:
        from app.chat.session import ChatService

        return ChatService(
            self.history,
            engine,
            system_prompt=self.settings.model.system_prompt,
            options=self.generation_options(),
        )

    def close(self) -> None:
        if "history" in self.__dict__:
            self.history.close()
