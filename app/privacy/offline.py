"""Keeping the privacy stack offline, and a process-wide guard on outbound connections.

Presidio's e-mail and URL recognizers call ``tldextract``, which by default
downloads the public suffix list on first use.  :func:`offline_tldextract`
points it at the snapshot bundled inside the package instead.

:class:`ConnectionGuard` is a Python audit hook on ``socket.connect``: every
connection a Python component tries to open passes through it, and it
refuses those its current policy does not allow.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_tld_lock = threading.Lock()


def offline_tldextract() -> None:
    """Make ``tldextract.extract`` use its bundled suffix list; never fetch it."""
    import tldextract
    import tldextract.tldextract as module

    with _tld_lock:
        current = module.TLD_EXTRACTOR
        if getattr(current, "_hearth_offline", False):
            return
        extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        extractor._hearth_offline = True  # type: ignore[attr-defined]
        module.TLD_EXTRACTOR = extractor


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@dataclass
class Attempt:
    host: str
    port: int | None
    allowed: bool


class PolicyRefusedError(ConnectionRefusedError):
    """A connection Hearth's network policy refused (no packet was sent)."""


def refused_by_policy(exc: BaseException) -> bool:
    """Whether ``exc``, or an exception it was raised from, is the guard's refusal.

    Client libraries wrap the socket error, so the cause/context chain is walked.
    """
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, PolicyRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class ConnectionGuard:
    """Refuses outbound connections that ``allow(host, port)`` rejects.

    Audit hooks cannot be removed, so one hook is installed per process and
    reads whichever guard is active.
    """

    allow: Callable[[str, int | None], bool] = lambda host, port: is_loopback(host)
    attempts: list[Attempt] = field(default_factory=list)

    def check(self, address: Any) -> None:
        host, port = _split(address)
        if host is None:  # Unix sockets and the like: not network traffic
            return
        ok = self.allow(host, port)
        if len(self.attempts) < 10_000:  # a record for tests and audits, bounded
            self.attempts.append(Attempt(host, port, ok))
        if not ok:
            raise PolicyRefusedError(f"Hearth's network policy blocks {host}")

    def __enter__(self) -> ConnectionGuard:
        _install()
        _active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _active.remove(self)

    def blocked(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.allowed]


_active: list[ConnectionGuard] = []
_installed = False


def _split(address: Any) -> tuple[str | None, int | None]:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        port = address[1] if len(address) > 1 and isinstance(address[1], int) else None
        return address[0], port
    return None, None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.getaddrinfo") and _active:
        address = args[1] if event == "socket.connect" else (args[0], args[1])
        if event == "socket.getaddrinfo" and not isinstance(args[0], str):
            return
        refused: ConnectionRefusedError | None = None
        for guard in list(_active):  # every active guard sees (and may refuse) it
            try:
                guard.check(address)
            except ConnectionRefusedError as exc:
                refused = refused or exc
        if refused is not None:
            raise refused


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
