"""A loopback HTTP server speaking Ollama's REST API (/api/tags, /api/show, /api/chat).

Chat replies stream as NDJSON exactly as Ollama sends them: one object per
line with ``message.content``, then a final ``done: true`` object carrying
``prompt_eval_count``, ``eval_count`` and durations in nanoseconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers import running

MODELS = {"tiny:latest": "Hello from the loopback Ollama server, word by word."}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_args: Any) -> None:  # keep test output clean
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        body = json.loads(raw or b"{}")
        self.server.received.append((self.path, body))
        self.server.raw.append((self.path, raw))
        return body

    def do_GET(self) -> None:
        if self.path == "/api/tags":
            models = [
                {
                    "name": m,
                    "model": m,
                    "size": 1234,
                    "digest": "0" * 64,
                    "modified_at": "2026-11-01T00:00:00Z",
                }
                for m in MODELS
            ]
            self._json(200, {"models": models})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self._body()
        model = body.get("model") or body.get("name") or ""
        if model not in MODELS and f"{model}:latest" not in MODELS:
            self._json(404, {"error": f"model '{model}' not found"})
            return
        if self.path == "/api/show":
            self._json(
                200,
                {
                    "modelfile": "",
                    "parameters": "",
                    "template": "{{ .Prompt }}",
                    "details": {"family": "llama"},
                    "model_info": {"llama.context_length": 8192},
                },
            )
            return
        if self.path != "/api/chat":
            self._json(404, {"error": "not found"})
            return
        if self.server.fail_chat:
            self._json(500, {"error": "the GPU fell over"})
            return
        words = MODELS.get(model, MODELS.get(f"{model}:latest", "")).split(" ")
        limit = int(body.get("options", {}).get("num_predict", 1000))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        sent = 0
        try:
            for i, word in enumerate(words[:limit]):
                chunk = {
                    "model": model,
                    "created_at": "2026-11-27T00:00:00Z",
                    "message": {"role": "assistant", "content": word if i == 0 else " " + word},
                    "done": False,
                }
                self.wfile.write(json.dumps(chunk).encode() + b"\n")
                self.wfile.flush()
                sent += 1
                time.sleep(self.server.delay_s)
            final = {
                "model": model,
                "created_at": "2026-11-27T00:00:01Z",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 5_000_000,
                "load_duration": 1000,
                "prompt_eval_count": 17,
                "prompt_eval_duration": 1_000_000,
                "eval_count": sent,
                "eval_duration": sent * 20_000_000,
            }
            self.wfile.write(json.dumps(final).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnected = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.raw: list[tuple[str, bytes]] = []  # request bodies exactly as received
        self.delay_s = 0.0
        self.fail_chat = False
        self.disconnected = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@contextmanager
def ollama_server(host: str = "127.0.0.1") -> Iterator[_Server]:
    """``host="0.0.0.0"`` also serves on this machine's network addresses (a "LAN" Ollama)."""
    with running(_Server(host)) as server:
        yield server
