"""The egress audit log: one row for every request that left this machine.

A row is written when the request is handed to the network (so a crash
still leaves a trace) and completed with tokens, cost and outcome when it
ends.  Rows hold no message text: the payload's SHA-256 and size, and the
counts of what was redacted.
"""

from __future__ import annotations

import json
import threading
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


class LanAudit:
    """The egress audit of requests to your own servers on other machines (the self-hosted
    server, Ollama): a row when a request is handed to the network, completed with the HTTP
    status when the answer arrives.  Use it as a request tap (see
    :func:`app.engines.remote.event_hooks`).  Loopback traffic never leaves this computer
    and is not recorded; nor is a request the network mode refuses (nothing is sent)."""

    HANDED = "handed to the network: your own server (lan mode)"

    def __init__(self, history: History, provider: str) -> None:
        self.history = history
        self.provider = provider
        self._rows: dict[int, int] = {}  # request id -> audit row, until answered
        self._lock = threading.Lock()

    def __call__(self, sent: Any) -> None:
        from app.privacy.network import current_policy
        from app.privacy.offline import is_loopback

        if is_loopback(sent.host):
            return
        policy = current_policy()
        if policy is not None and not policy.allow(sent.host, None):
            return  # the network guard refuses the connection: nothing leaves
        row = EgressLog(self.history).record(
            provider=self.provider,
            host=sent.host,
            model=_model_named_in(sent.body),
            payload_sha256=sent.sha256,
            bytes_sent=len(sent.body),
            redacted={},
            message_id=None,
            outcome=self.HANDED,
        )
        with self._lock:
            if len(self._rows) > 256:  # requests that never got an answer (host down)
                self._rows.clear()
            self._rows[sent.request_id] = row

    def answered(self, request_id: int, status: int) -> None:
        with self._lock:
            row = self._rows.pop(request_id, None)
        if row is not None:
            EgressLog(self.history).finish(row, outcome=f"your own server answered HTTP {status}")


def _model_named_in(body: bytes) -> str:
    """The "model" field of a JSON request body (Ollama and OpenAI-style APIs), if any."""
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        return ""
    model = doc.get("model") if isinstance(doc, dict) else None
    return model if isinstance(model, str) else ""
