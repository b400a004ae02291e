"""The egress audit log: one row for every request that left this machine.

A row is written when the request is handed to the network (so a crash
still leaves a trace) and completed with tokens, cost and outcome when it
ends.  Rows hold no message text: the payload's SHA-256 and size, and the
counts of what was redacted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.storage.history import History
from app.storage.models import EgressRecord


@dataclass(frozen=True)
class EgressView:
    id: int
    at: datetime
    provider: str
    host: str
    model: str
    payload_sha256: str
    bytes_sent: int
    redacted: dict[str, int]
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    outcome: str
    message_id: str | None

    def to_json(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["at"] = self.at.isoformat()
        return data


def _view(row: EgressRecord) -> EgressView:
    try:
        redacted = {str(k): int(v) for k, v in json.loads(row.redacted or "{}").items()}
    except (ValueError, AttributeError):
        redacted = {}
    return EgressView(
        row.id,
        row.at,
        row.provider,
        row.host,
        row.model,
        row.payload_sha256,
        row.bytes_sent,
        redacted,
        row.prompt_tokens,
        row.completion_tokens,
        row.cost_usd,
        row.outcome,
        row.message_id,
    )


class EgressLog:
    def __init__(self, history: History) -> None:
        self.history = history

    def record(
        self,
        *,
        provider: str,
        host: str,
        model: str,
        payload_sha256: str,
        bytes_sent: int,
        redacted: dict[str, int],
        message_id: str | None,
        outcome: str = "sending",
    ) -> int:
        """Add a row; ``outcome`` stays "sending" until :meth:`finish` (unless known now)."""
        with self.history.session() as session:
            row = EgressRecord(
                outcome=outcome,
                provider=provider,
                host=host,
                model=model,
                payload_sha256=payload_sha256,
                bytes_sent=bytes_sent,
                redacted=json.dumps(redacted, sort_keys=True),
                message_id=message_id,
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def finish(
        self,
        row_id: int,
        *,
        outcome: str,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        cost_usd: float | None = None,
    ) -> None:
        with self.history.session() as session:
            row = session.get(EgressRecord, row_id)
            if row is not None:
                row.outcome = outcome
                row.prompt_tokens = prompt_tokens
                row.completion_tokens = completion_tokens
                row.cost_usd = cost_usd

    def rows(self, limit: int | None = None) -> list[EgressView]:
        with self.history.session() as session:
            query = select(EgressRecord).order_by(EgressRecord.at.desc(), EgressRecord.id.desc())
            if limit:
                query = query.limit(limit)
            return [_view(r) for r in session.scalars(query).all()]
