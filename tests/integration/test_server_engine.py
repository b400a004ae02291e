"""The self-hosted engine against a real OpenAI-compatible server: llama-cpp-python's own
(`python -m llama_cpp.server`, its `server` extra) on loopback, serving the default model."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.engines.base import ChatMessage, GenerationOptions
from app.engines.server_engine import check_server_host, open_server_engine
from app.errors import EngineError, PolicyError
from tests.integration.test_cli import assert_no_traceback, hearth
from tests.servers.cloud import cloud_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(model_store: Path) -> Iterator[str]:
    model = next(model_store.glob("*.gguf"))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "gemma-local",
         "--n_threads", "2", "--chat_format", "gemma"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def _settings(url: str) -> Settings:
    s = Settings()
    s.set("engines.server.base_url", url)
    s.set("network.request_timeout_s", "60")
    return s


@pytest.mark.model
def test_streams_a_reply_from_llama_cpp_server(llama_server: str) -> None:
    engine = open_server_engine(_settings(llama_server), None)
    try:
        assert engine.list_models() == ["gemma-local"] and engine.model == "gemma-local"
        deltas = list(
            engine.stream(
                [ChatMessage("user", "Name three colours.")],
                GenerationOptions(max_tokens=16, temperature=0.0, seed=1),
            )
        )
    finally:
        engine.close()
    text = "".join(d.text for d in deltas)
    final = deltas[-1]
    assert text.strip() and final.done and not final.stopped
    assert final.usage is not None and final.usage.completion_tokens > 0
    assert final.usage.prompt_tokens > 0 and final.timings is not None
    assert final.timings.ttft_s > 0


@pytest.mark.model
def test_cli_chat_through_the_server_is_stored(llama_server: str) -> None:
    hearth("settings", "set", "engines.server.base_url", llama_server)
    hearth("settings", "set", "model.max_tokens", "12")
    proc = hearth("chat", "Hello there", "--engine", "server", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["engine"] == "server" and doc["model"] == "gemma-local" and doc["reply"]
    assert doc["usage"]["completion_tokens"] > 0 and doc["cloud"] is None
    shown = json.loads(hearth("history", "show", doc["conversation_id"], "--json").stdout)
    assert shown["messages"][1]["engine"] == "server"
    # Loopback traffic never left the machine: nothing in the egress audit.
    assert json.loads(hearth("audit", "--json").stdout)["requests"] == []


def test_hosts_other_than_loopback_need_to_be_marked_as_your_own() -> None:
    s = Settings()
    s.set("network.mode", "lan")
    with pytest.raises(PolicyError, match="treats it as a cloud provider"):
        check_server_host("http://gpu-box.lan:8000/v1", s)
    s.set("network.trusted_hosts", "gpu-box.lan")
    assert check_server_host("http://gpu-box.lan:8000/v1", s) == "gpu-box.lan"
    s.set("network.mode", "offline")
    with pytest.raises(PolicyError, match="only servers on this computer"):
        check_server_host("http://gpu-box.lan:8000/v1", s)
    proc = hearth("settings", "set", "engines.server.base_url", "http://203.0.113.9:8000/v1")
    assert proc.returncode == 0
    proc = hearth("chat", "hi", "--engine", "server")
    assert proc.returncode == 3 and "treats it as a cloud provider" in proc.stderr
    assert_no_traceback(proc)


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [("hang", "did not answer in time"), ("500", r"server error \(HTTP 500\)"),
     ("malformed", "could not read"), ("html", "not an OpenAI-compatible")],
)  # fmt: skip
def test_server_faults_are_clear_messages(fault: str, fragment: str) -> None:
    with cloud_server("openai") as server:
        server.fault = fault
        server.hang_s = 2.0
        s = _settings(server.base_url)
        s.set("network.request_timeout_s", "0.5")
        engine = open_server_engine(s, "any-model")
        try:
            with pytest.raises(EngineError, match=fragment):
                list(engine.stream([ChatMessage("user", "hi")], GenerationOptions(max_tokens=8)))
        finally:
            engine.close()


def test_a_server_that_is_not_running_is_a_clear_message() -> None:
    s = _settings(f"http://127.0.0.1:{_free_port()}/v1")
    with pytest.raises(EngineError, match="Could not connect"):
        open_server_engine(s, None)
