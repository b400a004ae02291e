"""`hearth chat --cloud` end to end: real keyring, real SDK, loopback provider, subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_cli import REPO, assert_no_traceback, hearth
from tests.integration.test_keys import all_bytes_under, keyring_service  # noqa: F401
from tests.servers.cloud import cloud_server

KEY = "sk-proj-CLOUDCLI-" + "y" * 20 + "7tW2"
MESSAGE = "Summarise the call with Maria Gonzalez (maria.gonzalez@example.org) in one line."


def _configure(url: str, mode: str = "cloud") -> None:
    assert hearth("keys", "set", "openai", stdin=KEY + "\n").returncode == 0
    assert hearth("settings", "set", "providers.openai.base_url", url).returncode == 0
    assert hearth("settings", "set", "network.mode", mode).returncode == 0


def test_cloud_chat_with_yes_sends_redacted_and_reports_cost(
    keyring_service: str,  # noqa: F811
    hearth_home: Path,
) -> None:
    with cloud_server("openai", expected_key=KEY) as server:
        _configure(server.base_url)
        proc = hearth("chat", MESSAGE, "--cloud", "openai:gpt-4.1-mini", "--yes", "--json")
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        (received,) = server.chats
    body = received.body.decode()
    assert "Maria Gonzalez" not in body and "maria.gonzalez@" not in body
    assert "<PERSON_1>" in body and KEY not in body
    assert received.headers["authorization"] == f"Bearer {KEY}"
    assert doc["engine"] == "openai" and doc["model"] == "gpt-4.1-mini" and doc["complete"]
    assert doc["cloud"]["provider"] == "openai" and doc["cloud"]["host"] == "127.0.0.1"
    assert doc["cloud"]["redacted"] == {"PERSON": 1, "EMAIL_ADDRESS": 1}
    assert doc["cloud"]["cost_usd"] > 0
    assert "Maria Gonzalez" in doc["reply"]  # restored locally
    # The consent text showed the payload, destination and estimate on stderr.
    assert "127.0.0.1" in proc.stderr and "<PERSON_1>" in proc.stderr
    assert "Estimated cost: up to $" in proc.stderr
    audit = hearth("audit", "--json")
    (row,) = json.loads(audit.stdout)["requests"]
    assert row["payload_sha256"] == hashlib.sha256(received.body).hexdigest()
    assert row["bytes_sent"] == len(received.body) and row["outcome"] == "complete"
    # The key is nowhere on disk, in output, or in logs.
    assert KEY.encode() not in all_bytes_under(hearth_home)
    assert KEY not in proc.stdout + proc.stderr + audit.stdout


def test_without_consent_or_terminal_it_exits_3_and_sends_nothing(
    keyring_service: str,  # noqa: F811
) -> None:
    with cloud_server("openai", expected_key=KEY) as server:
        _configure(server.base_url)
        proc = hearth("chat", MESSAGE, "--cloud", "openai:gpt-4.1-mini")
        assert proc.returncode == 3 and "Nothing was sent" in proc.stderr
        assert_no_traceback(proc)
        assert server.received == []
    assert json.loads(hearth("audit", "--json").stdout)["requests"] == []


def test_without_a_stored_key_it_says_so_before_asking_for_consent(
    keyring_service: str,  # noqa: F811
) -> None:
    with cloud_server("anthropic") as server:
        _configure(server.base_url)  # a key for OpenAI only
        hearth("settings", "set", "providers.anthropic.base_url", server.base_url)
        proc = hearth("chat", MESSAGE, "--cloud", "anthropic:claude-haiku-4-5", "--yes")
        assert proc.returncode == 3 and "No API key is stored for Anthropic" in proc.stderr
        assert "hearth keys set anthropic" in proc.stderr
        assert "would be sent" not in proc.stderr  # no consent asked for what cannot be sent
        assert_no_traceback(proc)
        assert server.received == []


def test_in_offline_mode_cloud_is_refused(keyring_service: str) -> None:  # noqa: F811
    with cloud_server("openai", expected_key=KEY) as server:
        _configure(server.base_url, mode="offline")
        proc = hearth("chat", MESSAGE, "--cloud", "openai:gpt-4.1-mini", "--yes")
        assert proc.returncode == 3 and "network mode is offline" in proc.stderr
        assert server.received == []


@pytest.mark.parametrize("answer, sent", [("n", False), ("y", True)])
def test_the_terminal_prompt_asks_y_n(
    keyring_service: str,  # noqa: F811
    answer: str,
    sent: bool,
) -> None:
    with cloud_server("openai", expected_key=KEY) as server:
        _configure(server.base_url)
        main, child = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "chat", MESSAGE, "--cloud", "openai:gpt-4.1-mini"],
            cwd=REPO,
            stdin=child,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        os.close(child)
        os.write(main, f"{answer}\n".encode())
        out, err = proc.communicate(timeout=120)
        os.close(main)
        assert "Send this one message? [y/N]" in err
        assert proc.returncode == (0 if sent else 3), err
        assert len(server.chats) == (1 if sent else 0)
        if sent:
            assert "Maria Gonzalez" in out


def test_bad_targets_are_usage_errors() -> None:
    for target, fragment in (("openai", "PROVIDER:MODEL"), ("nobody:gpt", "Unknown provider")):
        proc = hearth("chat", "hi", "--cloud", target)
        assert proc.returncode == 2 and fragment in proc.stderr
        assert_no_traceback(proc)
    proc = hearth("chat", "hi", "--yes")
    assert proc.returncode == 2 and "only apply with --cloud" in proc.stderr


def test_a_refused_cloud_message_leaves_no_empty_conversation(
    keyring_service: str,  # noqa: F811
) -> None:
    with cloud_server("openai", expected_key=KEY) as server:
        _configure(server.base_url)
        assert hearth("chat", MESSAGE, "--cloud", "openai:gpt-4.1-mini").returncode == 3
    assert json.loads(hearth("history", "list", "--json").stdout)["conversations"] == []


def test_a_chat_whose_default_engine_is_cloud_still_needs_consent(
    keyring_service: str,  # noqa: F811
) -> None:
    with cloud_server("openai", expected_key=KEY) as server:
        _configure(server.base_url)
        first = hearth("chat", MESSAGE, "--cloud", "openai:gpt-4.1-mini", "--yes", "--json")
        conv = json.loads(first.stdout)["conversation_id"]
        set_default = hearth("history", "engine", conv[:8], "openai:gpt-4.1-mini")
        assert set_default.returncode == 0, set_default.stderr
        listed = json.loads(hearth("history", "list", "--json").stdout)["conversations"]
        assert listed[0]["default_engine"] == "cloud:openai:gpt-4.1-mini"
        refused = hearth("chat", "And a follow-up?", "--conversation", conv[:8])
        assert refused.returncode == 3 and "default engine is openai:gpt-4.1-mini" in refused.stderr
        again = hearth("chat", "And a follow-up?", "--conversation", conv[:8], "--yes", "--json")
        assert again.returncode == 0 and json.loads(again.stdout)["cloud"] is not None
        assert len(server.chats) == 2
    bad = hearth("history", "engine", conv[:8], "nobody:model")
    assert bad.returncode == 2 and "Unknown provider" in bad.stderr
