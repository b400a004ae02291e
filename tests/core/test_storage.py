from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from app.errors import DatabaseTooNewError, NotFoundError, StorageError, UsageError
from app.storage import db as dbmod
from app.storage.history import History


@pytest.fixture
def history(tmp_path: Path) -> History:
    h = History(tmp_path / "hearth.db")
    yield h
    h.close()


def test_database_uses_wal_foreign_keys_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    History(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
    conn.close()
    h = History(path)
    with h.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    h.close()


def test_conversations_survive_reopen_and_list_most_recent_first(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    h = History(path)
    first = h.create_conversation("first")
    second = h.create_conversation("second")
    time.sleep(0.01)
    h.add_message(first.id, "user", "bump the first one")
    h.close()
    h = History(path)
    assert [c.title for c in h.list_conversations()] == ["first", "second"]
    assert h.messages(first.id)[0].content == "bump the first one"
    assert h.list_conversations()[0].message_count == 1
    assert second.id in {c.id for c in h.list_conversations()}
    h.close()


def test_delete_cascades_to_messages_and_search_index(history: History) -> None:
    conv = history.create_conversation()
    history.add_message(conv.id, "user", "the zebra crossing")
    assert history.search("zebra")
    history.delete_conversation(conv.id)
    assert history.messages(conv.id) == []
    assert history.search("zebra") == []
    with pytest.raises(NotFoundError):
        history.delete_conversation(conv.id)


def test_search_finds_updated_content_and_tolerates_fts_syntax(history: History) -> None:
    conv = history.create_conversation("Pets")
    msg = history.add_message(conv.id, "assistant", "", complete=False)
    history.update_message(msg.id, content="Cats are wonderful companions")
    hits = history.search("companions")
    assert [h.message_id for h in hits] == [msg.id]
    assert "[companions]" in hits[0].snippet
    for nasty in ['"', "AND (", "NEAR(", "*", "cats OR"]:
        history.search(nasty)  # never an FTS syntax error
    with pytest.raises(UsageError):
        history.search("   ")


def test_resolve_conversation_by_prefix(history: History) -> None:
    conv = history.create_conversation()
    assert history.resolve_conversation(conv.id[:6]) == conv.id
    with pytest.raises(NotFoundError):
        history.resolve_conversation("zzzzzz")


def test_export_marks_incomplete_replies(history: History) -> None:
    conv = history.create_conversation("Export me")
    history.add_message(conv.id, "user", "hi")
    history.add_message(conv.id, "assistant", "partial", complete=False)
    md = history.export(conv.id, "md")
    assert "# Export me" in md and "_(incomplete)_" in md
    assert '"complete": false' in history.export(conv.id, "json")


def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    History(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {dbmod.SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="newer Hearth"):
        History(path)
    assert path.read_bytes() == before


def test_migration_backs_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.db"
    h = History(path)
    conv = h.create_conversation("keep me")
    h.close()

    def add_column(conn: object) -> None:
        conn.exec_driver_sql("ALTER TABLE conversations ADD COLUMN pinned INTEGER DEFAULT 0")  # type: ignore[attr-defined]

    current = dbmod.SCHEMA_VERSION
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(dbmod.MIGRATIONS, current, add_column)
    History(path).close()
    backup = tmp_path / f"h.db.v{current}.bak"
    assert backup.exists()
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == current
    assert old.execute("SELECT title FROM conversations").fetchone()[0] == "keep me"
    old.close()
    new = sqlite3.connect(path)
    assert new.execute("PRAGMA user_version").fetchone()[0] == current + 1
    assert new.execute("SELECT pinned FROM conversations WHERE id=?", (conv.id,)).fetchone()[0] == 0
    new.close()


def test_corrupt_database_gives_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StorageError, match="damaged or is not a Hearth database"):
        History(path)


def test_locked_database_gives_a_clear_message(history: History) -> None:
    conv = history.create_conversation()
    other = sqlite3.connect(history.path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="locked"):
            history.add_message(conv.id, "user", "blocked")
    finally:
        other.rollback()
        other.close()
    assert history.add_message(conv.id, "user", "works again").content == "works again"


def test_disk_full_while_saving_is_a_clear_error_and_keeps_what_was_saved(history: History) -> None:
    from sqlalchemy import event

    conv = history.create_conversation()
    history.add_message(conv.id, "user", "saved before the disk filled")
    history.engine.dispose()

    def tiny(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on growth

    event.listen(history.engine, "connect", tiny)
    with pytest.raises(StorageError, match="disk is full"):
        history.add_message(conv.id, "assistant", "x" * 200_000)
    event.remove(history.engine, "connect", tiny)
    history.engine.dispose()
    assert [m.content for m in history.messages(conv.id)] == ["saved before the disk filled"]


def test_a_version_1_database_is_upgraded_with_a_backup(tmp_path: Path) -> None:
    """A database as Hearth 0.1 (schema 1) left it gains the vault table."""
    from sqlalchemy import create_engine

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        dbmod.MIGRATIONS[0](conn)
        conn.exec_driver_sql("PRAGMA user_version = 1")
        conn.exec_driver_sql(
            "INSERT INTO conversations (id, title, created_at, updated_at) "
            "VALUES ('c1', 'from v1', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        conn.commit()
    engine.dispose()
    h = History(path)
    assert [c.title for c in h.list_conversations()] == ["from v1"]
    h.save_vault_entries("c1", [("<PERSON_1>", "PERSON", "Ada")])
    assert h.vault_entries("c1") == [("<PERSON_1>", "PERSON", "Ada")]
    h.close()
    assert (tmp_path / "old.db.v1.bak").exists()


def test_vault_entries_are_kept_per_conversation_and_deleted_with_it(history: History) -> None:
    a, b = history.create_conversation(), history.create_conversation()
    history.save_vault_entries(
        a.id, [("<PERSON_1>", "PERSON", "Ada"), ("<PERSON_2>", "PERSON", "Bo")]
    )
    history.save_vault_entries(a.id, [("<PERSON_1>", "PERSON", "Ada")])  # idempotent
    history.save_vault_entries(b.id, [("<PERSON_1>", "PERSON", "Cy")])
    assert len(history.vault_entries(a.id)) == 2
    history.delete_conversation(a.id)
    assert history.vault_entries(a.id) == []
    assert history.vault_entries(b.id) == [("<PERSON_1>", "PERSON", "Cy")]


V2_SCHEMA = """
CREATE TABLE conversations (id VARCHAR(32) NOT NULL, title TEXT NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (id));
CREATE TABLE models (name VARCHAR(200) NOT NULL, path TEXT NOT NULL, sha256 VARCHAR(64),
  size_bytes INTEGER NOT NULL, architecture VARCHAR(64) NOT NULL, parameters INTEGER,
  quantization VARCHAR(32), context_length INTEGER, has_chat_template BOOLEAN NOT NULL,
  added_at DATETIME NOT NULL, PRIMARY KEY (name));
CREATE TABLE messages (id VARCHAR(32) NOT NULL, conversation_id VARCHAR(32) NOT NULL,
  seq INTEGER NOT NULL, role VARCHAR(16) NOT NULL, content TEXT NOT NULL,
  created_at DATETIME NOT NULL, complete BOOLEAN NOT NULL, error TEXT, engine VARCHAR(32),
  model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, ttft_s FLOAT,
  tokens_per_s FLOAT, PRIMARY KEY (id),
  FOREIGN KEY(conversation_id) REFERENCES conversations (id) ON DELETE CASCADE);
CREATE TABLE vault_entries (conversation_id VARCHAR(32) NOT NULL,
  placeholder VARCHAR(80) NOT NULL, entity_type VARCHAR(64) NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (conversation_id, placeholder),
  FOREIGN KEY(conversation_id) REFERENCES conversations (id) ON DELETE CASCADE);
INSERT INTO conversations VALUES ('c2', 'from v2', '2026-06-01 00:00:00', '2026-06-01 00:00:00');
INSERT INTO messages VALUES ('m1', 'c2', 1, 'assistant', 'an old local reply',
  '2026-06-01 00:00:00', 1, NULL, 'local', 'gemma', 10, 20, 0.1, 40.0);
PRAGMA user_version = 2;
"""


def test_a_version_2_database_gains_cloud_columns_and_the_audit_table(tmp_path: Path) -> None:
    """The schema Hearth shipped with the privacy filter (v2), exactly as it was created."""
    from app.storage.audit import EgressLog

    path = tmp_path / "v2.db"
    raw = sqlite3.connect(path)
    raw.executescript(V2_SCHEMA)
    raw.close()
    h = History(path)
    (old,) = h.messages("c2")
    assert old.content == "an old local reply" and old.host is None and not old.is_cloud
    h.set_default_engine("c2", "cloud:openai:gpt-4.1-mini")
    assert h.get_conversation("c2").default_engine == "cloud:openai:gpt-4.1-mini"
    reply = h.add_message("c2", "assistant", "cloud", host="api.openai.com", cost_usd=0.01)
    row = EgressLog(h).record(provider="openai", host="api.openai.com", model="m",
                              payload_sha256="0" * 64, bytes_sent=10, redacted={"PERSON": 1},
                              message_id=reply.id)  # fmt: skip
    assert EgressLog(h).rows()[0].id == row
    h.close()
    assert (tmp_path / "v2.db.v2.bak").exists()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 3
    columns = {r[1] for r in check.execute("PRAGMA table_info(models)")}
    assert "gpu_layers" in columns
    check.close()


def test_lan_audit_rows_pair_each_request_with_its_answer(history: History) -> None:
    from app.engines.remote import SentRequest
    from app.privacy.network import enforce
    from app.storage.audit import EgressLog, LanAudit

    audit = LanAudit(history, "server")
    body = b'{"model": "llama3", "messages": []}'
    try:
        enforce("offline")
        audit(SentRequest("192.168.77.10", body, 1))  # refused by the guard: nothing sent
        enforce("lan")
        audit(SentRequest("127.0.0.1", body, 2))  # loopback: never leaves the computer
        audit(SentRequest("192.168.77.10", body, 3))  # the server turns out to be down
        audit(SentRequest("192.168.77.10", b"", 4))  # a GET, answered
        audit(SentRequest("192.168.77.10", body, 5))  # answered with an error
        audit.answered(5, 503)  # pairs with its own request, not the oldest open one
        audit.answered(4, 200)
        audit.answered(99, 200)  # an answer to nothing recorded changes nothing
    finally:
        enforce("offline")
    rows = sorted(EgressLog(history).rows(), key=lambda r: r.id)
    assert [(r.host, r.model, r.bytes_sent, r.outcome) for r in rows] == [
        ("192.168.77.10", "llama3", len(body), LanAudit.HANDED),
        ("192.168.77.10", "", 0, "your own server answered HTTP 200"),
        ("192.168.77.10", "llama3", len(body), "your own server answered HTTP 503"),
    ]
