"""Model downloads against a loopback server: progress, resume, checksum, offline, CLI."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from app.catalog.catalog import CatalogEntry
from app.catalog.download import DownloadCancelledError, download, partial_path
from app.errors import ModelError, PolicyError
from app.privacy.offline import ConnectionGuard
from tests.ggufs import tiny_gguf
from tests.integration.test_cli import assert_no_traceback, hearth
from tests.servers.files import file_server


@pytest.fixture
def model_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    source = tmp_path_factory.mktemp("source") / "src.gguf"
    return tiny_gguf(source, tensor_values=600_000).read_bytes()  # ~2.4 MB


def entry_for(url: str, data: bytes, sha: str | None = None) -> CatalogEntry:
    return CatalogEntry(
        name="tiny",
        title="Tiny test model",
        url=url,
        filename="tiny.gguf",
        size_bytes=len(data),
        sha256=sha or hashlib.sha256(data).hexdigest(),
        parameters="0.6M",
        quantization="F32",
        context_length=256,
        license="test",
        layers=2,
        kv_heads=2,
        head_dim=16,
    )


def test_download_follows_redirects_reports_progress_and_verifies(
    tmp_path: Path, model_bytes: bytes
) -> None:
    seen: list[tuple[int, int]] = []
    with file_server(model_bytes) as server:
        path = download(
            entry_for(server.url("/redirect"), model_bytes), tmp_path, mode="lan",
            progress=lambda done, total: seen.append((done, total)),
        )  # fmt: skip
    assert path == tmp_path / "tiny.gguf" and path.read_bytes() == model_bytes
    assert seen[-1] == (len(model_bytes), len(model_bytes)) and len(seen) > 1
    assert not partial_path(tmp_path, entry_for("", model_bytes)).exists()


def test_a_dropped_connection_resumes_with_a_range_request(
    tmp_path: Path, model_bytes: bytes
) -> None:
    with file_server(model_bytes) as server:
        server.drop_after = 1_000_000
        entry = entry_for(server.url(), model_bytes)
        with pytest.raises(ModelError, match="dropped"):
            download(entry, tmp_path, mode="lan")
        part = partial_path(tmp_path, entry)
        assert part.exists() and 0 < part.stat().st_size < len(model_bytes)
        assert not (tmp_path / "tiny.gguf").exists()  # never in place half-done
        kept = part.stat().st_size
        path = download(entry, tmp_path, mode="lan")
        assert server.requests[-1] == ("/model.gguf", f"bytes={kept}-")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256


def test_a_server_that_ignores_range_restarts_cleanly(tmp_path: Path, model_bytes: bytes) -> None:
    with file_server(model_bytes) as server:
        entry = entry_for(server.url(), model_bytes)
        part = partial_path(tmp_path, entry)
        part.parent.mkdir(parents=True)
        part.write_bytes(model_bytes[:5000])
        server.ignore_range = True
        path = download(entry, tmp_path, mode="cloud")
    assert path.read_bytes() == model_bytes


def test_a_wrong_checksum_discards_the_file(tmp_path: Path, model_bytes: bytes) -> None:
    with file_server(model_bytes) as server:
        entry = entry_for(server.url(), model_bytes, sha="0" * 64)
        with pytest.raises(ModelError, match="does not match the catalog's SHA-256"):
            download(entry, tmp_path, mode="lan")
    assert list(tmp_path.rglob("*.gguf*")) == []


def test_cancel_keeps_the_partial_file_for_later(tmp_path: Path, model_bytes: bytes) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= 1 << 20:
            cancel.set()

    with file_server(model_bytes) as server:
        entry = entry_for(server.url(), model_bytes)
        with pytest.raises(DownloadCancelledError, match="resume"):
            download(entry, tmp_path, mode="lan", progress=progress, cancel=cancel)
    assert partial_path(tmp_path, entry).exists() and not (tmp_path / "tiny.gguf").exists()


def test_offline_mode_refuses_without_a_connection(tmp_path: Path, model_bytes: bytes) -> None:
    entry = entry_for("http://127.0.0.1:9/model.gguf", model_bytes)
    with (
        ConnectionGuard(allow=lambda host, port: True) as guard,
        pytest.raises(PolicyError, match="offline mode"),
    ):
        download(entry, tmp_path, mode="offline")
    assert guard.attempts == []


def _user_catalog(hearth_home: Path, url: str, data: bytes, sha: str | None = None) -> None:
    config = hearth_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "catalog.toml").write_text(
        '[models."tiny-test"]\ntitle = "Tiny test model"\n'
        f'url = "{url}"\nfilename = "tiny.gguf"\nsize_bytes = {len(data)}\n'
        f'sha256 = "{sha or hashlib.sha256(data).hexdigest()}"\n'
        "layers = 2\nkv_heads = 2\nhead_dim = 16\ncontext_length = 256\n"
    )


def test_cli_download_registers_verify_detects_changes(
    hearth_home: Path, model_bytes: bytes
) -> None:
    with file_server(model_bytes) as server:
        _user_catalog(hearth_home, server.url(), model_bytes)
        assert hearth("settings", "set", "network.mode", "lan").returncode == 0
        catalog = json.loads(hearth("models", "catalog", "--json").stdout)["catalog"]
        tiny = next(c for c in catalog if c["name"] == "tiny-test")
        assert tiny["fit"]["verdict"] == "fits"
        proc = hearth("models", "download", "tiny-test", "--json")
        assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["name"] == "tiny-test" and doc["sha256"] == hashlib.sha256(model_bytes).hexdigest()
    (row,) = json.loads(hearth("audit", "--json").stdout)["requests"]  # it left the machine
    assert row["provider"] == "model download" and row["host"] == "127.0.0.1"
    assert row["model"] == "tiny-test" and row["outcome"].startswith("complete")
    ok = hearth("models", "verify", "tiny-test", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    path = Path(doc["path"])
    path.write_bytes(path.read_bytes()[:-1] + b"\x01")  # one byte changed on disk
    bad = hearth("models", "verify", "tiny-test")
    assert bad.returncode == 1 and "does not match its recorded SHA-256" in bad.stderr
    assert_no_traceback(bad)


def test_cli_download_refused_offline_and_bad_checksum_not_registered(
    hearth_home: Path, model_bytes: bytes
) -> None:
    with file_server(model_bytes) as server:
        _user_catalog(hearth_home, server.url(), model_bytes, sha="f" * 64)
        offline = hearth("models", "download", "tiny-test")
        assert offline.returncode == 3 and "offline mode" in offline.stderr
        assert server.requests == []
        assert json.loads(hearth("audit", "--json").stdout)["requests"] == []
        hearth("settings", "set", "network.mode", "lan")
        bad = hearth("models", "download", "tiny-test")
        assert bad.returncode == 1 and "discarded" in bad.stderr
        assert_no_traceback(bad)
        (row,) = json.loads(hearth("audit", "--json").stdout)["requests"]
        assert "discarded" in row["outcome"]
    models = json.loads(hearth("models", "list", "--json").stdout)["models"]
    assert all(m["name"] != "tiny-test" for m in models)


def test_unsupported_architecture_is_refused(tmp_path: Path) -> None:
    weird = tiny_gguf(tmp_path / "weird.gguf", arch="notarealarch")
    proc = hearth("models", "add", str(weird))
    assert proc.returncode == 1 and "does not support" in proc.stderr
    assert_no_traceback(proc)


def test_a_full_disk_deletes_the_partial_file_and_registers_nothing(
    tmp_path: Path, model_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up after 1 MB: the error says so and the space is given back."""
    import errno

    real_open = Path.open

    class FullDisk:
        def __init__(self, handle: object) -> None:
            self.handle = handle
            self.written = 0

        def write(self, data: bytes) -> int:
            if self.written + len(data) > 1_000_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)  # type: ignore[attr-defined,no-any-return]

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()  # type: ignore[attr-defined]

    def fake_open(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        handle = real_open(self, mode, *args, **kwargs)  # type: ignore[arg-type]
        writing = self.suffix == ".part" and "r" not in mode
        return FullDisk(handle) if writing else handle

    monkeypatch.setattr(Path, "open", fake_open)
    with file_server(model_bytes) as server:
        entry = entry_for(server.url(), model_bytes)
        with pytest.raises(ModelError, match="disk is full"):
            download(entry, tmp_path, mode="lan")
    assert not partial_path(tmp_path, entry).exists() and not (tmp_path / "tiny.gguf").exists()
