"""Usage accounting: tokens per day, month, engine and model; spend and energy.

Local replies cost electricity: generation time (time to first token plus
completion tokens at the measured rate) x the configured device watts x $/kWh.
They are also priced as if a cloud model had produced them, to show what
running locally saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.costs.pricing import Price
from app.storage.history import History
from app.storage.models import Message


@dataclass
class Bucket:
    replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    generation_s: float = 0.0

    def add(self, m: Message) -> None:
        self.replies += 1
        self.prompt_tokens += m.prompt_tokens or 0
        self.completion_tokens += m.completion_tokens or 0
        self.generation_s += generation_seconds(m)

    def to_json(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "generation_s": round(self.generation_s, 3),
        }


def generation_seconds(m: Message) -> float:
    decode = (m.completion_tokens or 0) / m.tokens_per_s if m.tokens_per_s else 0.0
    return (m.ttft_s or 0.0) + decode


@dataclass
class UsageReport:
    by_day: dict[tuple[str, str, str], Bucket] = field(default_factory=dict)
    by_month: dict[tuple[str, str, str], Bucket] = field(default_factory=dict)
    total: Bucket = field(default_factory=Bucket)
    cloud_spend_usd: float = 0.0
    cloud_month_usd: float = 0.0  # this calendar month (UTC)
    cloud_unpriced_replies: int = 0  # cloud replies whose model had no price
    local_energy_usd: float = 0.0
    compare: Price | None = None
    local_would_cost_usd: float | None = None

    def to_json(self) -> dict[str, Any]:
        def rows(data: dict[tuple[str, str, str], Bucket], key: str) -> list[dict[str, Any]]:
            return [
                {key: period, "engine": engine, "model": model} | bucket.to_json()
                for (period, engine, model), bucket in sorted(data.items())
            ]

        return {
            "days": rows(self.by_day, "date"),
            "months": rows(self.by_month, "month"),
            "totals": self.total.to_json(),
            "cloud_spend_usd": round(self.cloud_spend_usd, 6),
            "cloud_month_usd": round(self.cloud_month_usd, 6),
            "cloud_unpriced_replies": self.cloud_unpriced_replies,
            "local_energy_usd": round(self.local_energy_usd, 6),
            "local_would_cost": None
            if self.compare is None
            else {"model": self.compare.name, "usd": round(self.local_would_cost_usd or 0, 6)},
        }


def daily_tokens(
    report: UsageReport, days: int, today: date | None = None
) -> list[tuple[str, dict[str, int]]]:
    """Tokens per engine for each of the last ``days`` days (oldest first, zeros included)."""
    today = today or datetime.now(UTC).date()
    out: list[tuple[str, dict[str, int]]] = []
    for back in range(days - 1, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        per: dict[str, int] = {}
        for (d, engine, _model), bucket in report.by_day.items():
            if d == day:
                per[engine] = per.get(engine, 0) + bucket.prompt_tokens + bucket.completion_tokens
        out.append((day, per))
    return out


def volume_band(tokens_per_day: float) -> str:
    """The seed's rule of thumb for a daily token volume."""
    from app.costs.breakeven import CLOUD_WINS_BELOW, SELF_HOST_WINS_ABOVE

    if tokens_per_day < CLOUD_WINS_BELOW:
        return "under 2M tokens/day: cloud APIs tend to win on cost"
    if tokens_per_day <= SELF_HOST_WINS_ABOVE:
        return "2-10M tokens/day: a hybrid setup tends to win"
    return "over 10M tokens/day: self-hosting tends to win"


def cloud_spend_this_month(history: History, now: datetime | None = None) -> float:
    """What cloud replies cost in this calendar month (UTC): the budget cap and the
    dashboard both read it from here."""
    now = now or datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with history.session() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(Message.cost_usd), 0.0)).where(
                Message.host.is_not(None), Message.created_at >= start
            )
        )
    return float(total or 0.0)


def usage_report(
    history: History,
    *,
    watts: float,
    kwh_price: float,
    compare: Price | None,
    now: datetime | None = None,
) -> UsageReport:
    report = UsageReport(compare=compare)
    report.cloud_month_usd = cloud_spend_this_month(history, now)
    local_in = local_out = 0
    with history.session() as session:
        rows = session.scalars(
            select(Message).where(Message.role == "assistant").order_by(Message.created_at)
        ).all()
        for m in rows:
            if not (m.prompt_tokens or m.completion_tokens):
                continue
            day = m.created_at.strftime("%Y-%m-%d")
            engine, model = m.engine or "?", m.model or "?"
            report.by_day.setdefault((day, engine, model), Bucket()).add(m)
            report.by_month.setdefault((day[:7], engine, model), Bucket()).add(m)
            report.total.add(m)
            if m.host is not None:  # a cloud reply
                if m.cost_usd is None:
                    report.cloud_unpriced_replies += 1
                else:
                    report.cloud_spend_usd += m.cost_usd
            else:
                report.local_energy_usd += generation_seconds(m) / 3600 * watts / 1000 * kwh_price
                local_in += m.prompt_tokens or 0
                local_out += m.completion_tokens or 0
    if compare is not None:
        report.local_would_cost_usd = compare.cost(local_in, local_out)
    return report
