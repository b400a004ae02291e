"""API keys in the real OS keyring (Secret Service in CI), and nowhere else."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import UsageError
from app.secrets import SecretStore
from tests.integration.test_cli import assert_no_traceback, hearth

KEY = "sk-proj-TESTKEY-" + "x" * 24 + "9f3Q"


@pytest.fixture
def keyring_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throw-away service name in the real keyring; never the user's own entries."""
    service = f"hearth-test-{uuid.uuid4().hex[:8]}"
    usable, why = SecretStore(service).status()
    if not usable:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Secret Service keyring: {why}")
        pytest.skip(f"no OS keyring here ({why}); CI runs these inside gnome-keyring")
    monkeypatch.setenv("HEARTH_KEYRING_SERVICE", service)
    yield service
    store = SecretStore(service)
    for stored in store.list():
        store.delete(stored.provider)


def all_bytes_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_set_list_replace_delete_through_the_cli(keyring_service: str, hearth_home: Path) -> None:
    assert hearth("keys", "set", "openai", stdin=KEY + "\n").returncode == 0
    listed = json.loads(hearth("keys", "list", "--json").stdout)
    assert listed == {"keys": [{"provider": "openai", "last4": "…9f3Q"}]}
    assert SecretStore(keyring_service).get("openai") == KEY  # really in the keyring
    assert hearth("keys", "set", "openai", stdin="sk-new-key-0000AbCd").returncode == 0
    assert json.loads(hearth("keys", "list", "--json").stdout)["keys"][0]["last4"] == "…AbCd"
    assert hearth("keys", "delete", "openai").returncode == 0
    assert json.loads(hearth("keys", "list", "--json").stdout) == {"keys": []}
    assert SecretStore(keyring_service).get("openai") is None


def test_a_key_never_reaches_disk_output_or_logs(keyring_service: str, hearth_home: Path) -> None:
    runs = [
        hearth("keys", "set", "anthropic", stdin=KEY),
        hearth("keys", "list"),
        hearth("doctor", "--json"),
        hearth("settings", "list"),
    ]
    for run in runs:
        assert KEY not in run.stdout and KEY not in run.stderr
        assert KEY[-8:] not in run.stdout + run.stderr  # not even most of it
    assert KEY.encode() not in all_bytes_under(hearth_home)
    doctor = json.loads(runs[2].stdout)
    assert doctor["keyring"]["usable"] is True


def test_bad_keys_and_names_are_refused_without_echoing_the_key(keyring_service: str) -> None:
    store = SecretStore(keyring_service)
    with pytest.raises(UsageError) as bad:
        store.set("openai", "sk-has space-inside")
    assert "sk-has" not in str(bad.value)
    with pytest.raises(UsageError):
        store.set("Bad Name!", KEY)
    with pytest.raises(UsageError):
        store.set("openai", "   ")
    proc = hearth("keys", "delete", "never-stored")
    assert proc.returncode == 2 and "No key is stored" in proc.stderr
    assert_no_traceback(proc)


def test_without_a_keyring_cloud_is_unavailable_and_nothing_is_written(
    hearth_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    proc = hearth("keys", "set", "openai", stdin=KEY)
    assert proc.returncode == 1
    assert "No usable OS keyring" in proc.stderr and "never stores them in a file" in proc.stderr
    assert KEY not in proc.stderr + proc.stdout
    assert_no_traceback(proc)
    doctor = json.loads(hearth("doctor", "--json").stdout)
    assert doctor["keyring"]["usable"] is False
    # A cloud message is refused with the reason, and nothing is sent.
    from tests.servers.cloud import cloud_server

    with cloud_server("openai") as server:
        hearth("settings", "set", "providers.openai.base_url", server.base_url)
        hearth("settings", "set", "network.mode", "cloud")
        proc = hearth("chat", "Hello there", "--cloud", "openai:gpt-4.1-mini", "--yes")
        assert proc.returncode == 1 and "No usable OS keyring" in proc.stderr
        assert_no_traceback(proc)
        assert server.received == []
    assert KEY.encode() not in all_bytes_under(hearth_home)
    assert not list(hearth_home.rglob("*keyring*")) and not list(hearth_home.rglob("*.cfg"))
