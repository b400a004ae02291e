"""Typed settings, the data folders, and the settings file's migrations.

``HEARTH_HOME`` puts config, data, models and logs under one folder; without
it the platform's directories are used (platformdirs).  Secrets are never
settings: API keys live in the OS keyring only.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.engines.base import GenerationOptions
from app.errors import ConfigError, UsageError

SCHEMA_VERSION = 2
APP_NAME = "Hearth"


@dataclass(frozen=True)
class Paths:
    """Where Hearth keeps its files."""

    config_dir: Path
    data_dir: Path
    models_dir: Path
    logs_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "hearth.db"

    def ensure(self) -> None:
        for folder in (self.config_dir, self.data_dir, self.models_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(cls) -> Paths:
        home = os.environ.get("HEARTH_HOME")
        if home:
            root = Path(home).expanduser().resolve()
            return cls(root / "config", root / "data", root / "models", root / "logs")
        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=data,
            models_dir=data / "models",
            logs_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class NetworkSettings(_Section):
    mode: Literal["offline", "lan", "cloud"] = Field("offline", title="Network mode")
    trusted_hosts: list[str] = Field(
        default_factory=list,
        title="Your own servers (host names), allowed in lan mode without consent",
    )
    request_timeout_s: float = Field(
        60.0, gt=0, le=3600, title="Seconds to wait for a remote server before giving up"
    )


class ModelSettings(_Section):
    default: str = Field("", title="Model used for new chats (empty: the embedded default)")
    n_ctx: int = Field(4096, ge=256, le=262144, title="Context window in tokens")
    n_threads: int = Field(0, ge=0, le=512, title="CPU threads (0: physical cores)")
    gpu_layers: str = Field(
        "auto",
        pattern=r"^(auto|all|off|\d{1,4})$",
        title="Layers on the GPU: auto (all when the model fits), all, off, or a number",
    )
    max_tokens: int = Field(512, ge=1, le=32768, title="Longest reply in tokens")
    temperature: float = Field(0.7, ge=0.0, le=2.0, title="Sampling temperature")
    system_prompt: str = Field(
        "You are Hearth, a helpful assistant running privately on the user's computer.",
        title="System prompt",
    )

    def generation_options(self) -> GenerationOptions:
        return GenerationOptions(max_tokens=self.max_tokens, temperature=self.temperature)


DEFAULT_ENTITIES = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_BANK_NUMBER",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "IP_ADDRESS",
    "LOCATION",
    "CRYPTO",
    "MEDICAL_LICENSE",
    "API_KEY",
    "PRIVATE_KEY",
    "PASSWORD",
    "JWT",
    "DENY_LIST",
]


class PrivacySettings(_Section):
    entities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENTITIES), title="Entity types to redact"
    )
    score_threshold: float = Field(0.4, ge=0.0, le=1.0, title="Minimum detection score")
    deny_list: list[str] = Field(default_factory=list, title="Words always redacted")
    allow_list: list[str] = Field(default_factory=list, title="Words never redacted")


LOCAL_ONLY_DEFAULT = [
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "MEDICAL",
    "DENY_LIST",
    "API_KEY",
    "PRIVATE_KEY",
    "PASSWORD",
    "JWT",
]


class RoutingSettings(_Section):
    local_only_types: list[str] = Field(
        default_factory=lambda: list(LOCAL_ONLY_DEFAULT),
        title="Types that keep a message on this computer, even redacted",
    )
    medical_terms: list[str] = Field(
        default_factory=list, title="Extra medical words that keep a message local"
    )
    overflow_seconds: float = Field(
        120.0, gt=0, le=86400, title="Suggest a cloud model when a local reply would take longer"
    )


class CostSettings(_Section):
    device_watts: float = Field(65.0, gt=0, le=100_000, title="Power draw while generating (W)")
    kwh_price: float = Field(0.16, ge=0, le=10, title="Electricity price ($/kWh)")
    compare_model: str = Field("gpt-4.1-mini", title="Cloud model to compare local use with")
    monthly_budget_usd: float = Field(
        0.0, ge=0, le=1_000_000, title="Monthly cloud budget cap in $ (0: no cap)"
    )


class OllamaSettings(_Section):
    base_url: str = Field("http://127.0.0.1:11434", title="Ollama server URL")
    enabled: bool = Field(False, title="List Ollama's models beside Hearth's own")


class ServerSettings(_Section):
    base_url: str = Field("http://127.0.0.1:8080/v1", title="OpenAI-compatible server URL")
    enabled: bool = Field(False, title="List the server's models beside Hearth's own")


ProviderKind = Literal["openai", "anthropic"]
KNOWN_PROVIDERS: dict[str, tuple[ProviderKind, str]] = {
    "openai": ("openai", "https://api.openai.com/v1"),
    "anthropic": ("anthropic", "https://api.anthropic.com"),
    # Gemini through Google's OpenAI-compatible endpoint.
    "google": ("openai", "https://generativelanguage.googleapis.com/v1beta/openai/"),
}


class ProviderSettings(_Section):
    base_url: str = Field(title="API base URL (a proxy or gateway may go here)")
    kind: ProviderKind = Field("openai", title="Wire protocol (openai or anthropic)")


def _default_providers() -> dict[str, ProviderSettings]:
    return {
        name: ProviderSettings(base_url=url, kind=kind)
        for name, (kind, url) in KNOWN_PROVIDERS.items()
    }


class EngineSettings(_Section):
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)


class Settings(_Section):
    schema_version: int = SCHEMA_VERSION
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    costs: CostSettings = Field(default_factory=CostSettings)
    engines: EngineSettings = Field(default_factory=EngineSettings)
    providers: dict[str, ProviderSettings] = Field(default_factory=_default_providers)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)

    # -- dotted-key access for `hearth settings` -----------------------------
    def setting_keys(self) -> list[str]:
        def walk(model: BaseModel, prefix: str) -> list[str]:
            keys: list[str] = []
            for name in type(model).model_fields:
                value = getattr(model, name)
                if isinstance(value, BaseModel):
                    keys += walk(value, f"{prefix}{name}.")
                elif isinstance(value, dict):
                    for sub, item in sorted(value.items()):
                        keys += walk(item, f"{prefix}{name}.{sub}.")
                elif prefix:
                    keys.append(prefix + name)
            return keys

        return walk(self, "")

    def get(self, key: str) -> Any:
        section, attr = self._split(key)
        return getattr(section, attr)

    def title(self, key: str) -> str:
        """The setting's description, as declared on its field."""
        section, attr = self._split(key)
        return type(section).model_fields[attr].title or attr

    def text(self, key: str) -> str:
        """The value as ``set`` accepts it back (lists comma-separated)."""
        value = self.get(key)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def apply(self, changes: dict[str, str]) -> dict[str, str]:
        """Set every change, or none: returns {key: message} for each invalid value."""
        trial = self.model_copy(deep=True)
        errors: dict[str, str] = {}
        for key, raw in changes.items():
            try:
                trial.set(key, raw)
            except UsageError as exc:
                errors[key] = exc.message
        if not errors:
            for key, raw in changes.items():
                self.set(key, raw)
        return errors

    def set(self, key: str, raw: str) -> None:
        if self._set_provider(key, raw):
            return
        section, attr = self._split(key)
        current = getattr(section, attr)
        value: Any = raw
        if isinstance(current, list):
            value = [part.strip() for part in raw.split(",") if part.strip()]
        elif isinstance(current, bool):
            value = raw.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            try:
                value = int(raw)
            except ValueError:
                raise UsageError(f"{key} must be a whole number, not {raw!r}.") from None
        elif isinstance(current, float):
            try:
                value = float(raw)
            except ValueError:
                raise UsageError(f"{key} must be a number, not {raw!r}.") from None
        try:
            setattr(section, attr, value)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UsageError(f"Invalid value for {key}: {first['msg']}.") from None

    def _set_provider(self, key: str, raw: str) -> bool:
        """``providers.<name>.base_url``: add a custom provider, or remove it with ""."""
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "providers":
            return False
        name, attr = parts[1], parts[2]
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name):
            raise UsageError(
                f"Invalid provider name {name!r}: use lower-case letters, digits, '-' and '_'."
            )
        if attr not in ProviderSettings.model_fields:
            raise UsageError(f"Unknown setting {key!r}: a provider has base_url and kind.")
        current = self.providers.get(name)
        if attr == "base_url":
            url = raw.strip()
            if not url:
                if name in KNOWN_PROVIDERS:
                    kind, default = KNOWN_PROVIDERS[name]
                    self.providers[name] = ProviderSettings(base_url=default, kind=kind)
                else:
                    self.providers.pop(name, None)
                return True
            if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
                raise UsageError(
                    f"Invalid value for {key}: give an http:// or https:// URL, not {raw!r}."
                )
            kind = current.kind if current else "openai"
            self.providers[name] = ProviderSettings(base_url=url, kind=kind)
            return True
        if current is None:
            raise UsageError(f"Set providers.{name}.base_url first, then its kind.")
        if raw not in ("openai", "anthropic"):
            raise UsageError(f"Invalid value for {key}: use openai or anthropic.")
        current.kind = raw  # type: ignore[assignment]
        return True

    def _split(self, key: str) -> tuple[BaseModel, str]:
        if key not in self.setting_keys():
            raise UsageError(f"Unknown setting {key!r}. Run 'hearth settings list' to see them.")
        *path, attr = key.split(".")
        section: Any = self
        for name in path:
            section = section[name] if isinstance(section, dict) else getattr(section, name)
        return section, attr


def _gpu_layers_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """v1's model.n_gpu_layers (0 = off, -1 = all, n) became model.gpu_layers ("auto"…)."""
    model = raw.get("model")
    if isinstance(model, dict) and "n_gpu_layers" in model:
        old = model.pop("n_gpu_layers")
        # 0 was v1's default, chosen before Hearth could size a model: let it decide now.
        model["gpu_layers"] = {0: "auto", -1: "all"}.get(old, str(old))
    return raw


# Each migration takes the raw dict of version N and returns version N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _gpu_layers_v2}


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    version = int(raw.get("schema_version", 1))
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"The settings file was written by a newer Hearth (schema {version}, "
            f"this version understands {SCHEMA_VERSION}).",
            hint="Update Hearth, or move the settings file away to start fresh.",
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
        raw["schema_version"] = version
    return raw


def load_settings(paths: Paths) -> Settings:
    """Read the settings file; a missing file gives the defaults."""
    path = paths.settings_file
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        return Settings.model_validate(migrate(raw))
    except (ValueError, ValidationError, OSError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(
            f"The settings file {path} is not valid ({type(exc).__name__}).",
            hint="Fix it, or move it away to start with the defaults.",
        ) from None


def save_settings(paths: Paths, settings: Settings) -> None:
    """Write the settings file atomically."""
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=paths.config_dir, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(tmp, paths.settings_file)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"Could not save settings: {exc.strerror or exc}.") from None
