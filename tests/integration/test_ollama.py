"""The Ollama engine through the official client, against a loopback Ollama server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from app.engines.base import ChatMessage, GenerationOptions
from app.engines.ollama_engine import OllamaEngine
from app.errors import EngineError
from tests.integration.test_cli import assert_no_traceback, hearth
from tests.servers.ollama import ollama_server


def test_streams_with_usage_and_timings() -> None:
    with ollama_server() as server:
        engine = OllamaEngine("tiny", server.url)
        assert engine.info().context_length == 8192
        assert engine.list_models() == ["tiny:latest"]
        msgs = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")]
        deltas = list(engine.stream(msgs, GenerationOptions(max_tokens=5, temperature=0.1, seed=3)))
        engine.close()
    *texts, last = deltas
    assert "".join(d.text for d in texts) == "Hello from the loopback Ollama"
    assert last.done and last.usage and last.usage.prompt_tokens == 17
    assert last.usage.completion_tokens == 5
    assert last.timings and last.timings.tokens_per_s == pytest.approx(50.0)
    path, body = server.received[-1]
    assert path == "/api/chat" and body["model"] == "tiny" and body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert body["options"] == {"num_predict": 5, "temperature": 0.1, "seed": 3}


def test_cancel_stops_between_chunks() -> None:
    with ollama_server() as server:
        server.delay_s = 0.05
        engine = OllamaEngine("tiny", server.url)
        got = []
        for delta in engine.stream([ChatMessage("user", "Hi")], GenerationOptions()):
            if delta.done:
                assert delta.stopped
                break
            got.append(delta.text)
            if len(got) == 2:
                engine.cancel()
        engine.close()
    assert len(got) == 2


def test_errors_are_clear_messages() -> None:
    with ollama_server() as server:
        with pytest.raises(EngineError, match="model 'nope' not found"):
            OllamaEngine("nope", server.url)
        server.fail_chat = True
        engine = OllamaEngine("tiny", server.url)
        with pytest.raises(EngineError, match=r"500.*GPU fell over"):
            list(engine.stream([ChatMessage("user", "Hi")], GenerationOptions()))
        engine.close()
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    with pytest.raises(EngineError, match="not reachable"):
        OllamaEngine("tiny", f"http://127.0.0.1:{port}")


def test_cli_chat_through_ollama_stores_the_reply(hearth_home: Path) -> None:
    with ollama_server() as server:
        assert hearth("settings", "set", "engines.ollama.base_url", server.url).returncode == 0
        proc = hearth("chat", "Hello?", "--engine", "ollama", "--model", "tiny", "--json")
        missing = hearth("chat", "Hello?", "--engine", "ollama", "--model", "nope")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["engine"] == "ollama" and doc["model"] == "tiny"
    assert doc["reply"].startswith("Hello from the loopback")
    assert doc["usage"] == {"prompt_tokens": 17, "completion_tokens": 9}
    shown = json.loads(hearth("history", "show", doc["conversation_id"], "--json").stdout)
    assert shown["messages"][1]["engine"] == "ollama"
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert_no_traceback(missing)
    # Loopback traffic never left the machine: nothing in the egress audit.
    assert json.loads(hearth("audit", "--json").stdout)["requests"] == []


def _network_address() -> str:
    """An IPv4 address of this machine that is not loopback (read from the interfaces,
    without opening any connection)."""
    import fcntl
    import struct

    siocgifaddr = 0x8915
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                request = struct.pack("256s", name[:15].encode())
                packed = fcntl.ioctl(s.fileno(), siocgifaddr, request)
            except OSError:
                continue
        addr = socket.inet_ntoa(packed[20:24])
        if not addr.startswith("127."):
            return addr
    pytest.skip("this machine has no network address besides loopback")


def test_requests_to_an_ollama_on_another_machine_are_audited(hearth_home: Path) -> None:
    import hashlib

    addr = _network_address()
    with ollama_server(host="0.0.0.0") as server:
        url = f"http://{addr}:{server.port}"
        hearth("settings", "set", "engines.ollama.base_url", url)
        hearth("settings", "set", "engines.ollama.enabled", "true")
        # Offline (the default): refused before anything is sent, and so nothing to audit.
        blocked = hearth("chat", "Hello?", "--engine", "ollama", "--model", "tiny")
        assert blocked.returncode != 0 and server.raw == []
        assert "network mode blocks Ollama" in blocked.stderr, blocked.stderr
        assert "nothing was sent" in blocked.stderr
        assert_no_traceback(blocked)
        assert json.loads(hearth("audit", "--json").stdout)["requests"] == []
        # Your own network (lan mode, the host marked as yours): sent, and every request audited.
        hearth("settings", "set", "network.mode", "lan")
        hearth("settings", "set", "network.trusted_hosts", addr)
        listed = json.loads(hearth("models", "list", "--json").stdout)
        proc = hearth("chat", "Hello?", "--engine", "ollama", "--model", "tiny", "--json")
    assert listed["ollama"]["status"] == "running", listed["ollama"]
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(hearth("audit", "--json").stdout)["requests"]
    assert rows and {(r["provider"], r["host"]) for r in rows} == {("ollama", addr)}
    chat_body = next(raw for path, raw in server.raw if path == "/api/chat")
    chats = [r for r in rows if r["payload_sha256"] == hashlib.sha256(chat_body).hexdigest()]
    assert len(chats) == 1 and chats[0]["bytes_sent"] == len(chat_body)
    # /api/tags (models list) + /api/show and /api/chat (the chat): one row per request,
    # each completed with the server's answer, naming the model where the request does.
    assert len(rows) == 3
    assert {r["outcome"] for r in rows} == {"your own server answered HTTP 200"}
    assert sorted(r["model"] for r in rows) == ["", "tiny", "tiny"]


def test_ollama_models_are_listed_beside_hearths_with_status(hearth_home: Path) -> None:
    with ollama_server() as server:
        hearth("settings", "set", "engines.ollama.base_url", server.url)
        off = json.loads(hearth("models", "list", "--json").stdout)
        assert "ollama" not in off  # not asked for: no connection to Ollama at all
        hearth("settings", "set", "engines.ollama.enabled", "true")
        doc = json.loads(hearth("models", "list", "--json").stdout)
        plain = hearth("models", "list").stdout
    assert doc["ollama"] == {"base_url": server.url, "status": "running", "models": ["tiny:latest"]}
    assert "tiny:latest" in plain and "running" in plain
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hearth("settings", "set", "engines.ollama.base_url", f"http://127.0.0.1:{port}")
    gone = json.loads(hearth("models", "list", "--json").stdout)
    assert gone["ollama"]["status"] == "not running" and gone["ollama"]["models"] == []
    doctor = json.loads(hearth("doctor", "--json").stdout)
    assert doctor["ollama"]["status"] == "not running" and doctor["presidio"]["installed"]
    assert "CPU" in doctor["hardware"]["build_backends"]
