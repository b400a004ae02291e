"""The application context both front ends drive: paths, settings, history, models.

Nothing heavy happens at import or construction: the database is opened on
first use, and a model is loaded only by :meth:`Hearth.load_engine`, on the
thread that will own it.
"""

from __future__ import annotations

import logging
from functools import cached_property
from logging.handlers import RotatingFileHandler
from typing import TYPE_CHECKING, Any

from app.config import Paths, Settings, load_settings, save_settings
from app.engines.base import Engine, GenerationOptions

if TYPE_CHECKING:  # SQLAlchemy takes a second to import: only on first use
    from app.catalog.registry import ModelEntry, ModelRegistry
    from app.chat.cloud import CloudService
    from app.chat.session import ChatService
    from app.costs.pricing import PriceTable
    from app.privacy.redactor import Redactor
    from app.secrets import SecretStore
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

        return CloudService(
            self.history, self.settings, self.redactor, self.secrets, self.prices()
        )

    def lan_audit_tap(self) -> Any:
        """A request tap that audits requests to servers on other machines (LAN)."""
        from app.engines.remote import SentRequest
        from app.privacy.offline import is_loopback
        from app.storage.audit import EgressLog

        history = self.history

        def tap(sent: SentRequest) -> None:
            if not is_loopback(sent.host):
                log = EgressLog(history)
                row = log.record(
                    provider="server",
                    host=sent.host,
                    model="",
                    payload_sha256=sent.sha256,
                    bytes_sent=len(sent.body),
                    redacted={},
                    message_id=None,
                )
                log.finish(row, outcome="sent to your own server (network.trusted_hosts)")

        return tap

    def save_settings(self) -> None:
        save_settings(self.paths, self.settings)

    def generation_options(self) -> GenerationOptions:
        return GenerationOptions(
            max_tokens=self.settings.model.max_tokens,
            temperature=self.settings.model.temperature,
        )

    def load_engine(self, entry: ModelEntry) -> Engine:
        """Load ``entry`` with llama.cpp (slow: call it off the GUI thread)."""
        from app.engines.llamacpp import LlamaCppEngine

        cfg = self.settings.model
        n_ctx = cfg.n_ctx
        if entry.context_length:
            n_ctx = min(n_ctx, entry.context_length)
        log.info("loading model %s (n_ctx=%d)", entry.name, n_ctx)
        return LlamaCppEngine(
            entry.path,
            model_name=entry.name,
            n_ctx=n_ctx,
            n_threads=cfg.n_threads,
            n_gpu_layers=cfg.n_gpu_layers,
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
