"""Loopback servers speaking OpenAI's and Anthropic's streaming wire protocols.

Both record every request exactly as it arrived (path, headers, raw body) so
tests can assert what left Hearth.  The reply echoes the last user message
("You said: …"), so placeholders travel back and must be restored locally,
and it is streamed in 3-character pieces, so placeholders are split across
events.  ``fault`` makes the server misbehave the way real APIs do:

* ``"401"`` — rejects the key, echoing it in the error body (as some gateways do);
* ``"429"`` — rate limit with ``retry-after: 7``;
* ``"500"`` — server error;
* ``"cut"`` — sends a few events, then drops the connection mid-body;
* ``"malformed"`` — a few events, then an SSE line that is not JSON;
* ``"hang"`` — accepts, then says nothing for ``hang_s`` seconds;
* ``"html"`` — answers 200 with a web page instead of the API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers import running

PIECE = 3


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    event_line = b""  # Anthropic names each SSE event; OpenAI does not
    server: CloudServer

    def log_message(self, *_args: Any) -> None:
        pass

    # -- helpers --------------------------------------------------------------
    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _end_sse(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _key(self) -> str:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth else self.headers.get("x-api-key", "")

    def _pre(self) -> dict[str, Any] | None:
        """Record the request; answer faults that come before streaming. None = answered."""
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.received.append(
            Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        fault = self.server.fault
        key = self._key()
        if fault == "401" or (self.server.expected_key and key != self.server.expected_key):
            self._json(401, self.server.auth_error(key))
            return None
        if fault == "429":
            self._json(429, {"error": {"message": "Rate limit reached"}}, {"retry-after": "7"})
            return None
        if fault == "500":
            self._json(500, {"error": {"message": "The server had an error"}})
            return None
        if fault == "hang":
            time.sleep(self.server.hang_s)
            return None
        if fault == "html":  # a web page where an API was expected (wrong URL, a proxy)
            data = b"<html><body>Welcome to nginx!</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        return json.loads(body or b"{}")

    def reply_pieces(self, body: dict[str, Any]) -> list[str]:
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        content = users[-1]["content"] if users else ""
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        text = self.server.reply or f"You said: {content}"
        return [text[i : i + PIECE] for i in range(0, len(text), PIECE)]

    def _fault_mid_stream(self, index: int) -> bool:
        """True when the stream must stop here (the fault already happened)."""
        if index != 2:
            return False
        if self.server.fault == "cut":
            self.wfile.flush()
            self.connection.shutdown(2)  # no terminating chunk: an incomplete body
            return True
        if self.server.fault == "malformed":
            self._chunk(self.event_line + b"data: {this is not json\n\n")
            self._end_sse()
            return True
        return False


class _OpenAIHandler(_Handler):
    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                        for m in ("gpt-4.1-mini", "gpt-4.1")
                    ],
                },
            )
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = self._pre()
        if body is None:
            return
        if not self.path.endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        pieces = self.reply_pieces(body)
        self._start_sse()
        base = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": body.get("model", ""),
        }
        for i, piece in enumerate(pieces):
            if self._fault_mid_stream(i):
                return
            chunk = base | {
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]
            }
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
            time.sleep(self.server.delay_s)
        last = base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self._chunk(f"data: {json.dumps(last)}\n\n".encode())
        usage = base | {
            "choices": [],
            "usage": {
                "prompt_tokens": 42,
                "completion_tokens": len(pieces),
                "total_tokens": 42 + len(pieces),
            },
        }
        self._chunk(f"data: {json.dumps(usage)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._end_sse()


class _AnthropicHandler(_Handler):
    event_line = b"event: content_block_delta\n"

    def _event(self, name: str, data: dict[str, Any]) -> None:
        self._chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

    def do_POST(self) -> None:
        body = self._pre()
        if body is None:
            return
        if not self.path.endswith("/v1/messages"):
            self._json(
                404, {"type": "error", "error": {"type": "not_found_error", "message": "no route"}}
            )
            return
        pieces = self.reply_pieces(body)
        self._start_sse()
        self._event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "model": body.get("model", ""),
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 37, "output_tokens": 1},
                },
            },
        )
        self._event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        for i, piece in enumerate(pieces):
            if self._fault_mid_stream(i):
                return
            self._event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
            time.sleep(self.server.delay_s)
        self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(pieces)},
            },
        )
        self._event("message_stop", {"type": "message_stop"})
        self._end_sse()


class CloudServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up (cancel, timeout, a cut we made) is not a test failure

    def __init__(self, kind: str, expected_key: str | None) -> None:
        handler = _OpenAIHandler if kind == "openai" else _AnthropicHandler
        super().__init__(("127.0.0.1", 0), handler)
        self.kind = kind
        self.expected_key = expected_key
        self.received: list[Received] = []
        self.fault: str | None = None
        self.reply: str | None = None
        self.delay_s = 0.0
        self.hang_s = 3.0

    def auth_error(self, key: str) -> dict[str, Any]:
        message = f"Incorrect API key provided: {key}."
        if self.kind == "openai":
            return {"error": {"message": message, "type": "invalid_request_error"}}
        return {"type": "error", "error": {"type": "authentication_error", "message": message}}

    @property
    def base_url(self) -> str:
        port = self.server_address[1]
        return (
            f"http://127.0.0.1:{port}/v1" if self.kind == "openai" else f"http://127.0.0.1:{port}"
        )

    @property
    def chats(self) -> list[Received]:
        return [r for r in self.received if r.path.endswith(("/chat/completions", "/messages"))]


@contextmanager
def cloud_server(kind: str, expected_key: str | None = None) -> Iterator[CloudServer]:
    with running(CloudServer(kind, expected_key)) as server:
        yield server
