"""Cloud tests: the official SDKs against loopback servers speaking the providers' protocols."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.chat.cloud import CloudService
from app.config import Paths, load_settings
from app.costs.pricing import load_prices
from app.privacy.redactor import Redactor
from app.storage.history import History
from tests.servers.cloud import CloudServer, cloud_server

KEY = "sk-test-" + "k" * 24 + "Zq9X"


@dataclass
class MemorySecrets:
    """Stands in for the keyring where a test is about the cloud flow, not key storage
    (tests/integration/test_keys.py and test_cloud_cli.py use the real Secret Service)."""

    keys: dict[str, str] = field(default_factory=dict)

    def get(self, provider: str) -> str | None:
        return self.keys.get(provider)


@dataclass
class CloudRig:
    service: CloudService
    history: History
    server: CloudServer
    secrets: MemorySecrets
    mode: list[str]
    provider: str

    def target(self, model: str = "gpt-4.1-mini") -> str:
        return f"{self.provider}:{model}"


@pytest.fixture(params=["openai", "anthropic", "google"])
def rig(
    request: pytest.FixtureRequest, redactor: Redactor, hearth_home: Path
) -> Iterator[CloudRig]:
    provider = request.param
    kind = "anthropic" if provider == "anthropic" else "openai"  # Gemini: OpenAI-compatible
    with cloud_server(kind, expected_key=KEY) as server:
        paths = Paths.from_env()
        paths.ensure()
        settings = load_settings(paths)
        settings.set(f"providers.{provider}.base_url", server.base_url)
        settings.set("network.request_timeout_s", "1.5")
        settings.set("model.max_tokens", "100")
        history = History(paths.database_file)
        secrets = MemorySecrets({provider: KEY})
        mode = ["cloud"]
        service = CloudService(
            history,
            settings,
            redactor,
            secrets,
            load_prices(),
            network_mode=lambda: mode[0],  # type: ignore[arg-type]
        )
        try:
            yield CloudRig(service, history, server, secrets, mode, provider)
        finally:
            history.close()
