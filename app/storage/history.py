"""History queries: conversations, messages, full-text search, export.

Every method opens its own short session and returns plain, detached data,
so callers on any thread can use the results freely.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import NotFoundError, UsageError
from app.storage.db import open_database, storage_error
from app.storage.models import Conversation, Message, VaultEntry, utcnow

T = TypeVar("T")


@dataclass(frozen=True)
class MessageView:
    id: str
    conversation_id: str
    seq: int
    role: str
    content: str
    created_at: datetime
    complete: bool
    error: str | None = None
    engine: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    host: str | None = None
    cost_usd: float | None = None
    route: str | None = None

    @property
    def is_cloud(self) -> bool:
        return self.host is not None

    @classmethod
    def of(cls, row: Message) -> MessageView:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True)
class ConversationView:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int = 0
    default_engine: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "message_count": self.message_count,
            "default_engine": self.default_engine or "local",
        }


@dataclass(frozen=True)
class SearchHit:
    conversation_id: str
    conversation_title: str
    message_id: str
    role: str
    snippet: str


def fts_query(query: str) -> str:
    """Quote each word so user text is never parsed as FTS5 syntax."""
    words = [w.replace('"', '""') for w in query.split()]
    return " ".join(f'"{w}"' for w in words)


class History:
    """The history database of one Hearth profile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine: Engine = open_database(path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except (OperationalError, SADatabaseError) as exc:
            raise storage_error(exc, self.path) from None

    def _run(self, work: Callable[[Session], T]) -> T:
        with self.session() as session:
            return work(session)

    # -- conversations --------------------------------------------------------
    def create_conversation(self, title: str = "New chat") -> ConversationView:
        def work(session: Session) -> ConversationView:
            conv = Conversation(title=title)
            session.add(conv)
            session.flush()
            return ConversationView(conv.id, conv.title, conv.created_at, conv.updated_at)

        return self._run(work)

    def list_conversations(self) -> list[ConversationView]:
        def work(session: Session) -> list[ConversationView]:
            counts = (
                select(Message.conversation_id, func.count().label("n"))
                .group_by(Message.conversation_id)
                .subquery()
            )
            rows = session.execute(
                select(Conversation, func.coalesce(counts.c.n, 0))
                .outerjoin(counts, counts.c.conversation_id == Conversation.id)
                .order_by(Conversation.updated_at.desc(), Conversation.created_at.desc())
            ).all()
            return [
                ConversationView(
                    c.id, c.title, c.created_at, c.updated_at, int(n), c.default_engine
                )
                for c, n in rows
            ]

        return self._run(work)

    def resolve_conversation(self, ident: str) -> str:
        """Accept a full id or an unambiguous prefix of one (like git)."""
        ident = ident.strip().lower()
        if not ident:
            raise UsageError("A conversation id is required.")

        def work(session: Session) -> str:
            ids = session.scalars(
                select(Conversation.id).where(Conversation.id.startswith(ident)).limit(2)
            ).all()
            if not ids:
                raise NotFoundError(f"No conversation with id {ident!r}.")
            if len(ids) > 1:
                raise UsageError(f"The id prefix {ident!r} matches several conversations.")
            return ids[0]

        return self._run(work)

    def get_conversation(self, conversation_id: str) -> ConversationView:
        def work(session: Session) -> ConversationView:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                raise NotFoundError(f"No conversation with id {conversation_id!r}.")
            count = session.scalar(  # counted in SQL: not every message loaded
                select(func.count()).where(Message.conversation_id == conversation_id)
            )
            return ConversationView(
                conv.id,
                conv.title,
                conv.created_at,
                conv.updated_at,
                int(count or 0),
                conv.default_engine,
            )

        return self._run(work)

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise UsageError("A conversation title cannot be empty.")

        def work(session: Session) -> None:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                raise NotFoundError(f"No conversation with id {conversation_id!r}.")
            conv.title = title[:200]

        self._run(work)

    def set_default_engine(self, conversation_id: str, engine: str | None) -> None:
        """None or "local": the local model; "cloud:PROVIDER:MODEL": that cloud model."""
        if engine in (None, "local"):
            engine = None
        elif not engine.startswith("cloud:") or engine.count(":") < 2:
            raise UsageError("A default engine is 'local' or 'cloud:PROVIDER:MODEL'.")

        def work(session: Session) -> None:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                raise NotFoundError(f"No conversation with id {conversation_id!r}.")
            conv.default_engine = engine

        self._run(work)

    def delete_conversation(self, conversation_id: str) -> None:
        def work(session: Session) -> None:
            result = session.execute(delete(Conversation).where(Conversation.id == conversation_id))
            if getattr(result, "rowcount", 0) == 0:
                raise NotFoundError(f"No conversation with id {conversation_id!r}.")

        self._run(work)

    # -- messages -------------------------------------------------------------
    def messages(self, conversation_id: str) -> list[MessageView]:
        def work(session: Session) -> list[MessageView]:
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            ).all()
            return [MessageView.of(r) for r in rows]

        return self._run(work)

    def add_message(
        self, conversation_id: str, role: str, content: str, **fields: Any
    ) -> MessageView:
        def work(session: Session) -> MessageView:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                raise NotFoundError(f"No conversation with id {conversation_id!r}.")
            last = session.scalar(
                select(func.max(Message.seq)).where(Message.conversation_id == conversation_id)
            )
            row = Message(
                conversation_id=conversation_id,
                seq=(last or 0) + 1,
                role=role,
                content=content,
                **fields,
            )
            session.add(row)
            conv.updated_at = utcnow()
            session.flush()
            return MessageView.of(row)

        return self._run(work)

    def update_message(self, message_id: str, **fields: Any) -> None:
        def work(session: Session) -> None:
            row = session.get(Message, message_id)
            if row is None:
                raise NotFoundError(f"No message with id {message_id!r}.")
            for name, value in fields.items():
                setattr(row, name, value)

        self._run(work)

    def delete_message(self, message_id: str) -> None:
        self._run(lambda s: s.execute(delete(Message).where(Message.id == message_id)))

    def average_tokens_per_day(self, days: int = 30) -> float:
        """Prompt + completion tokens per day over the last ``days`` days."""
        since = utcnow() - timedelta(days=days)

        def work(session: Session) -> float:
            total = session.scalar(
                select(
                    func.coalesce(
                        func.sum(
                            func.coalesce(Message.prompt_tokens, 0)
                            + func.coalesce(Message.completion_tokens, 0)
                        ),
                        0,
                    )
                ).where(Message.created_at >= since)
            )
            return float(total or 0) / days

        return self._run(work)

    def local_reply_speed(self, days: int = 30) -> float | None:
        """The median decode speed (tokens/s) of this computer's own replies (the llama.cpp
        engine) over the last ``days`` days, or None when there are none."""
        since = utcnow() - timedelta(days=days)

        def work(session: Session) -> list[float]:
            rows = session.scalars(
                select(Message.tokens_per_s).where(
                    Message.created_at >= since,
                    Message.engine == "local",
                    Message.tokens_per_s > 0,
                )
            ).all()
            return sorted(float(r) for r in rows if r is not None)

        speeds = self._run(work)
        if not speeds:
            return None
        mid = len(speeds) // 2
        return speeds[mid] if len(speeds) % 2 else (speeds[mid - 1] + speeds[mid]) / 2

    # -- privacy vault ----------------------------------------------------------
    def vault_entries(self, conversation_id: str) -> list[tuple[str, str, str]]:
        """(placeholder, type, value) rows of a conversation's vault."""

        def work(session: Session) -> list[tuple[str, str, str]]:
            rows = session.scalars(
                select(VaultEntry).where(VaultEntry.conversation_id == conversation_id)
            ).all()
            return [(r.placeholder, r.entity_type, r.value) for r in rows]

        return self._run(work)

    def save_vault_entries(self, conversation_id: str, entries: list[tuple[str, str, str]]) -> None:
        """Add the placeholders not stored yet (existing ones never change)."""

        def work(session: Session) -> None:
            known = set(
                session.scalars(
                    select(VaultEntry.placeholder).where(
                        VaultEntry.conversation_id == conversation_id
                    )
                ).all()
            )
            for placeholder, entity_type, value in entries:
                if placeholder not in known:
                    session.add(
                        VaultEntry(
                            conversation_id=conversation_id,
                            placeholder=placeholder,
                            entity_type=entity_type,
                            value=value,
                        )
                    )

        self._run(work)

    # -- search and export ----------------------------------------------------
    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        match = fts_query(query)
        if not match:
            raise UsageError("Search needs at least one word.")

        def work(session: Session) -> list[SearchHit]:
            rows = session.execute(
                text(
                    "SELECT m.conversation_id, c.title, m.id, m.role, "
                    "snippet(messages_fts, 0, '[', ']', '…', 12) "
                    "FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    "WHERE messages_fts MATCH :q ORDER BY rank LIMIT :limit"
                ),
                {"q": match, "limit": limit},
            ).all()
            return [SearchHit(*row) for row in rows]

        return self._run(work)

    def export(self, conversation_id: str, fmt: str = "md") -> str:
        conv = self.get_conversation(conversation_id)
        messages = self.messages(conversation_id)
        if fmt == "json":
            doc = conv.to_json() | {"messages": [m.to_json() for m in messages]}
            return json.dumps(doc, indent=2, ensure_ascii=False)
        if fmt != "md":
            raise UsageError(f"Unknown export format {fmt!r} (use md or json).")
        lines = [f"# {conv.title}", "", f"_Exported from Hearth · {conv.created_at:%Y-%m-%d}_", ""]
        for m in messages:
            who = {"user": "You", "assistant": "Assistant", "system": "System"}.get(m.role, m.role)
            suffix = "" if m.complete else " _(incomplete)_"
            lines += [f"## {who}{suffix}", "", m.content, ""]
        return "\n".join(lines)
