"""A loopback file server with HTTP Range support, and the faults downloads must survive.

* ``drop_after`` — close the connection after sending that many bytes of the body;
* ``ignore_range`` — answer 200 with the whole file even when a Range was asked;
* ``redirect`` — the first URL answers 302 to the real path (as CDNs do).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers import running


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FileServer

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/model.gguf")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path != "/model.gguf":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = srv.data
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and not srv.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.drop_after is not None and srv.drop_after < len(body):
            self.wfile.write(body[: srv.drop_after])
            self.wfile.flush()
            srv.drop_after = None  # only the first attempt fails
            self.connection.shutdown(2)
            return
        for i in range(0, len(body), 65536):
            self.wfile.write(body[i : i + 65536])


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data
        self.requests: list[tuple[str, str | None]] = []
        self.drop_after: int | None = None
        self.ignore_range = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    def url(self, path: str = "/model.gguf") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@contextmanager
def file_server(data: bytes) -> Iterator[FileServer]:
    with running(FileServer(data)) as server:
        yield server
