"""The process-wide network policy: which outbound connections Hearth may open.

* ``offline``: loopback only (this computer).
* ``lan``: also private-network addresses (the user's own servers) and the
  hosts the user marked as trusted self-hosted servers.
* ``cloud``: as ``lan``, plus a host only while a request the user consented
  to is being sent (:meth:`NetworkPolicy.consented`).  In ``lan`` mode a
  consent covers only what the user starts there themselves: a model download.

It is enforced by a Python audit hook on ``socket.connect`` and
``socket.getaddrinfo`` (:class:`app.privacy.offline.ConnectionGuard`), so
every Python component is covered: a refused connection raises
``ConnectionRefusedError`` before any packet is sent.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from app.privacy.offline import ConnectionGuard, is_loopback

log = logging.getLogger("hearth.network")

Mode = Literal["offline", "lan", "cloud"]


def is_private(host: str) -> bool:
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host.endswith((".local", ".lan", ".home.arpa", ".internal"))
    return addr.is_private or addr.is_link_local or addr.is_loopback


class NetworkPolicy:
    def __init__(self, mode: Mode = "offline", trusted_hosts: set[str] | None = None) -> None:
        self.mode: Mode = mode
        self.trusted_hosts = {h.lower() for h in (trusted_hosts or set())}
        self._consented: dict[str, int] = {}
        self._lock = threading.Lock()

    def allow(self, host: str, port: int | None) -> bool:
        host = host.lower().strip("[]")
        if is_loopback(host):
            return True
        if self.mode == "offline":
            return False
        if is_private(host) or host in self.trusted_hosts:
            return True
        with self._lock:  # a request the user asked for (cloud: a consented message;
            # lan or cloud: a model download they started)
            return self._consented.get(host, 0) > 0

    @contextmanager
    def consented(self, host: str) -> Iterator[None]:
        """Allow ``host`` for the duration of one request the user asked for (not offline).

        Cloud messages additionally require cloud mode; the chat layer checks that.
        """
        host = host.lower()
        with self._lock:
            self._consented[host] = self._consented.get(host, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._consented[host] -= 1
                if not self._consented[host]:
                    del self._consented[host]


_policy: NetworkPolicy | None = None
_guard: ConnectionGuard | None = None


def enforce(mode: Mode, trusted_hosts: set[str] | None = None) -> NetworkPolicy:
    """Install (or update) the process-wide policy; returns it."""
    global _policy, _guard
    if _policy is None:
        _policy = NetworkPolicy(mode, trusted_hosts)
        _guard = ConnectionGuard(allow=_log_refusals(_policy))
        _guard.__enter__()  # for the life of the process
    else:
        _policy.mode = mode
        _policy.trusted_hosts = {h.lower() for h in (trusted_hosts or set())}
    return _policy


def current_policy() -> NetworkPolicy | None:
    return _policy


def _log_refusals(policy: NetworkPolicy) -> Callable[[str, int | None], bool]:
    def allow(host: str, port: int | None) -> bool:
        ok = policy.allow(host, port)
        if not ok:
            log.info("blocked a connection to %s:%s (network mode %s)", host, port, policy.mode)
        return ok

    return allow
