"""The network policy: modes, consent grants, and the audit hook that enforces them.

No test here opens a real outbound connection: the hook is exercised with
``sys.audit`` events, exactly as ``socket.connect`` raises them.
"""

from __future__ import annotations

import socket
import sys

import pytest

from app.privacy.network import NetworkPolicy
from app.privacy.offline import ConnectionGuard


@pytest.mark.parametrize(
    ("mode", "host", "allowed"),
    [
        ("offline", "127.0.0.1", True),
        ("offline", "::1", True),
        ("offline", "localhost", True),
        ("offline", "192.168.1.20", False),
        ("offline", "api.openai.com", False),
        ("lan", "192.168.1.20", True),
        ("lan", "10.0.0.5", True),
        ("lan", "gpu-box.local", True),
        ("lan", "api.openai.com", False),
        ("lan", "8.8.8.8", False),
        ("cloud", "api.openai.com", False),  # not without a consent
        ("cloud", "192.168.1.20", True),
    ],
)
def test_modes(mode: str, host: str, allowed: bool) -> None:
    assert NetworkPolicy(mode).allow(host, 443) is allowed  # type: ignore[arg-type]


def test_trusted_self_hosted_server_is_allowed_in_lan_not_offline() -> None:
    assert NetworkPolicy("lan", {"llm.example.org"}).allow("llm.example.org", 8000)
    assert not NetworkPolicy("offline", {"llm.example.org"}).allow("llm.example.org", 8000)


def test_consent_opens_one_host_only_while_the_request_runs() -> None:
    policy = NetworkPolicy("cloud")
    with policy.consented("api.anthropic.com"):
        assert policy.allow("api.anthropic.com", 443)
        assert not policy.allow("api.openai.com", 443)
    assert not policy.allow("api.anthropic.com", 443)
    offline = NetworkPolicy("offline")
    with offline.consented("api.anthropic.com"):
        assert not offline.allow("api.anthropic.com", 443)  # offline wins over consent


def test_the_audit_hook_refuses_before_any_packet() -> None:
    policy = NetworkPolicy("offline")
    sock = socket.socket()
    try:
        with ConnectionGuard(allow=policy.allow) as guard:
            with pytest.raises(ConnectionRefusedError, match="network policy"):
                sys.audit("socket.connect", sock, ("203.0.113.7", 443))
            with pytest.raises(ConnectionRefusedError):
                sys.audit("socket.getaddrinfo", "api.openai.com", 443, 0, 0, 0, 0)
            sys.audit("socket.connect", sock, ("127.0.0.1", 9))  # loopback passes
        assert [(a.host, a.allowed) for a in guard.attempts] == [
            ("203.0.113.7", False),
            ("api.openai.com", False),
            ("127.0.0.1", True),
        ]
    finally:
        sock.close()


def test_a_real_loopback_connection_goes_through_the_guard() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        with ConnectionGuard(allow=NetworkPolicy("offline").allow) as guard:
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.close()
        assert any(a.host == "127.0.0.1" and a.port == port and a.allowed for a in guard.attempts)
    finally:
        server.close()


def test_hearth_commands_open_no_connection_of_their_own(hearth_home: object) -> None:
    """History, settings, models and doctor, in every mode: nothing goes out."""
    from app.cli import run

    for mode in ("offline", "lan", "cloud"):
        with ConnectionGuard(allow=lambda host, port: False) as guard:
            assert run(["settings", "set", "network.mode", mode]) == 0
            assert run(["history", "list", "--json"]) == 0
            assert run(["models", "list", "--json"]) == 0
            assert run(["doctor", "--json"]) == 0
        assert guard.attempts == [], (mode, guard.attempts)


@pytest.mark.model
@pytest.mark.parametrize("mode", ["offline", "lan", "cloud"])
def test_local_chat_and_redaction_open_no_connection_in_any_mode(
    prepared_home: object, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's local chat and redaction, in each mode, with every connection refused."""
    from app.cli import run

    assert run(["settings", "set", "network.mode", mode]) == 0
    assert run(["settings", "set", "model.max_tokens", "8"]) == 0
    with ConnectionGuard(allow=lambda host, port: False) as guard:
        assert run(["redact", "Mail bob@example.com or call Alice Smith", "--json"]) == 0
        assert run(["chat", "Hello", "--json"]) == 0
        assert run(["settings", "list"]) == 0
        assert run(["models", "list"]) == 0
    capsys.readouterr()
    assert guard.attempts == [], (mode, guard.attempts)
