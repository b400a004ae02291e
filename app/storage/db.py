"""Opening the database: pragmas, schema version, migrations, backups.

The schema version lives in SQLite's ``PRAGMA user_version``.  A database
from a newer Hearth is refused; an older one is copied to a backup file and
then migrated step by step inside one transaction per step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError

from app.errors import DatabaseTooNewError, StorageError
from app.storage.models import Base

SCHEMA_VERSION = 3

_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
    "content, content='messages', content_rowid='rowid', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); END",
    "CREATE TRIGGER IF NOT EXISTS messages_ad AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', old.rowid, old.content); END",
    "CREATE TRIGGER IF NOT EXISTS messages_au AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) "
    "VALUES ('delete', old.rowid, old.content); "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); END",
]


V1_TABLES = ("conversations", "messages", "models")


def _create_v1(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[t] for t in V1_TABLES])
    for statement in _FTS:
        conn.exec_driver_sql(statement)


def _add_vault_v2(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[Base.metadata.tables["vault_entries"]])


def _add_cloud_v3(conn: Connection) -> None:
    """Cloud replies' host, cost and routing reason; per-model GPU layers; per-conversation
    default engine; the egress audit."""
    for table, column, sql_type in (
        ("messages", "host", "TEXT"),
        ("messages", "cost_usd", "FLOAT"),
        ("messages", "route", "TEXT"),
        ("models", "gpu_layers", "VARCHAR(8)"),
        ("conversations", "default_engine", "TEXT"),
    ):
        have = {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
        if column not in have:  # a v1 created by this version already has them
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
    Base.metadata.create_all(conn, tables=[Base.metadata.tables["egress_audit"]])


# MIGRATIONS[n] upgrades a database at version n to n + 1 (0 = empty file).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    0: _create_v1,
    1: _add_vault_v2,
    2: _add_cloud_v3,
}


def storage_error(exc: Exception, path: Path) -> StorageError:
    """Turn a SQLite failure into a message a user can act on."""
    detail = str(getattr(exc, "orig", exc)).lower()
    if "locked" in detail or "busy" in detail:
        return StorageError(
            f"The history database {path} is locked by another program.",
            hint="Close other Hearth windows and try again.",
        )
    if "disk is full" in detail or "disk full" in detail:
        return StorageError(
            "The disk is full: Hearth could not save to its history database.",
            hint="Free some space; nothing already saved was lost.",
        )
    if "not a database" in detail or "malformed" in detail or "corrupt" in detail:
        return StorageError(
            f"The history database {path} is damaged or is not a Hearth database.",
            hint="Move the file away (Hearth will start a new one) or restore a backup.",
        )
    if "readonly" in detail or "read-only" in detail or "unable to open" in detail:
        return StorageError(
            f"Hearth cannot write its history database {path}.",
            hint="Check the folder's permissions and free space.",
        )
    return StorageError(f"The history database failed: {detail}.")


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 3000")
    cursor.close()


def _backup(path: Path, version: int) -> Path:
    target = path.with_name(f"{path.name}.v{version}.bak")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def open_database(path: Path) -> Engine:
    """Open (creating or migrating) the history database at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _on_connect)
    try:
        with engine.connect() as conn:
            version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
            if version > SCHEMA_VERSION:
                raise DatabaseTooNewError(
                    f"The history database {path} was written by a newer Hearth "
                    f"(schema {version}; this version knows {SCHEMA_VERSION}).",
                    hint="Update Hearth to open it. The file was left untouched.",
                )
            mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar_one()
            if str(mode).lower() != "wal":
                raise StorageError(f"Could not switch {path} to WAL mode ({mode}).")
            conn.commit()
            if 0 < version < SCHEMA_VERSION:
                _backup(path, version)
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                version += 1
                conn.exec_driver_sql(f"PRAGMA user_version = {version}")
                conn.commit()
            conn.execute(text("SELECT 1"))
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        raise storage_error(exc, path) from None
    except StorageError:
        engine.dispose()
        raise
    return engine
