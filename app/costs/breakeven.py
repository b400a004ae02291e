"""Self-hosting versus cloud: monthly costs, cost per million tokens, break-even.

Definitions (the seed article's, stated once here):

* amortization = hardware cost / amortization months;
* electricity = watts / 1000 x hours per day x 30 days x $/kWh (or given);
* capacity = tokens/s x 3600 x hours per day (or given as tokens per day);
* local cost per 1M tokens = (amortization + electricity) / (capacity x 30 / 1M),
  i.e. with the hardware busy all the time; at the user's own volume the same
  monthly cost is divided by that volume instead (idle hardware still costs);
* cloud per month = volume x 30 / 1M x (input share x input price +
  output share x output price);
* break-even months = hardware cost / (cloud - self-host per month), or none
  when the cloud costs no more than running the hardware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.costs.pricing import Price
from app.errors import UsageError

DAYS_PER_MONTH = 30
CLOUD_WINS_BELOW = 2_000_000  # tokens/day: the seed's thresholds
SELF_HOST_WINS_ABOVE = 10_000_000


@dataclass(frozen=True)
class BreakevenInputs:
    hardware_cost: float
    tokens_per_day: float
    price: Price
    months: float = 36
    watts: float | None = None
    hours_per_day: float = 24
    kwh_price: float = 0.16
    electricity_per_month: float | None = None
    tokens_per_second: float | None = None
    capacity_tokens_per_day: float | None = None
    input_share: float = 0.5
    privacy_required: bool = False


@dataclass
class BreakevenResult:
    amortization_per_month: float
    electricity_per_month: float
    self_host_per_month: float
    local_cost_per_million_tokens: float
    local_cost_per_million_at_volume: float
    cloud_per_month: float
    breakeven_months: float | None
    recommendation: str
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "amortization_per_month": round(self.amortization_per_month, 4),
            "electricity_per_month": round(self.electricity_per_month, 4),
            "self_host_per_month": round(self.self_host_per_month, 4),
            "local_cost_per_million_tokens": round(self.local_cost_per_million_tokens, 6),
            "local_cost_per_million_at_volume": round(self.local_cost_per_million_at_volume, 6),
            "cloud_per_month": round(self.cloud_per_month, 4),
            "breakeven_months": (
                None if self.breakeven_months is None else round(self.breakeven_months, 3)
            ),
            "recommendation": self.recommendation,
            "reasons": self.reasons,
        }


def _positive(name: str, value: float | None) -> float:
    if value is None:
        raise UsageError(f"{name} is missing.")
    if value != value or value <= 0:  # NaN or not positive
        raise UsageError(f"{name} must be greater than zero (got {value}).")
    return value


def compute(inp: BreakevenInputs) -> BreakevenResult:
    hardware = _positive("--hardware-cost", inp.hardware_cost)
    months = _positive("--months", inp.months)
    volume = _positive("--tokens-per-day (your daily token volume)", inp.tokens_per_day)
    hours = _positive("--hours-per-day", inp.hours_per_day)
    if hours > 24:
        raise UsageError(f"--hours-per-day cannot exceed 24 (got {hours}).")
    if not 0 <= inp.input_share <= 1:
        raise UsageError(f"--input-share must be between 0 and 1 (got {inp.input_share}).")
    if inp.electricity_per_month is not None:
        if inp.electricity_per_month < 0:
            raise UsageError("--electricity-per-month cannot be negative.")
        electricity = inp.electricity_per_month
    else:
        watts = _positive("--watts (or --electricity-per-month)", inp.watts)
        kwh = _positive("--kwh-price", inp.kwh_price)
        electricity = watts / 1000 * hours * DAYS_PER_MONTH * kwh
    if inp.capacity_tokens_per_day is not None:
        capacity = _positive("--capacity-tokens-per-day", inp.capacity_tokens_per_day)
    else:
        rate = _positive(
            "--tokens-per-second (or --capacity-tokens-per-day; 'hearth bench' measures it)",
            inp.tokens_per_second,
        )
        capacity = rate * 3600 * hours

    warnings: list[str] = []
    if hardware > 5_000_000:
        warnings.append(f"A hardware cost of ${hardware:,.0f} is unusual for one deployment.")
    if inp.watts is not None and inp.watts > 100_000:
        warnings.append(f"{inp.watts:,.0f} W is more than a rack of GPUs draws.")
    if volume > capacity:
        warnings.append(
            f"Your volume ({volume:,.0f} tokens/day) exceeds the hardware's capacity "
            f"({capacity:,.0f}/day): you would need more hardware."
        )

    amortization = hardware / months
    self_host = amortization + electricity
    per_million_full = self_host / (capacity * DAYS_PER_MONTH / 1e6)
    per_million_volume = self_host / (volume * DAYS_PER_MONTH / 1e6)
    blended = (
        inp.input_share * inp.price.input_per_million
        + (1 - inp.input_share) * inp.price.output_per_million
    )
    cloud = volume * DAYS_PER_MONTH / 1e6 * blended
    saving = cloud - self_host
    breakeven = hardware / saving if saving > 0 else None

    reasons: list[str] = []
    if inp.privacy_required:
        recommendation = "self-host"
        reasons.append("Privacy requirements override cost: sensitive data stays local.")
    elif breakeven is None:
        recommendation = "cloud"
        reasons.append(
            f"The cloud (${cloud:,.2f}/month) costs no more than running the hardware "
            f"(${self_host:,.2f}/month): it never pays for itself."
        )
    elif breakeven > months:
        recommendation = "cloud"
        reasons.append(
            f"The hardware would pay for itself after {breakeven:.1f} months, longer than "
            f"its {months:.0f}-month amortization."
        )
    elif volume < CLOUD_WINS_BELOW:
        recommendation = "hybrid"
        reasons.append("Below 2M tokens/day the cloud usually wins; keep sensitive work local.")
    elif volume <= SELF_HOST_WINS_ABOVE:
        recommendation = "hybrid"
        reasons.append(
            f"Pays back in {breakeven:.1f} months; between 2M and 10M tokens/day a hybrid "
            "(local by default, cloud for overflow) tends to win."
        )
    else:
        recommendation = "self-host"
        reasons.append(
            f"Pays back in {breakeven:.1f} months; above 10M tokens/day self-hosting tends to win."
        )
    reasons.append(
        f"Compared with {inp.price.name} at ${inp.price.input_per_million:.2f}/"
        f"${inp.price.output_per_million:.2f} per 1M tokens (input/output), "
        f"{inp.input_share:.0%} input."
    )
    return BreakevenResult(
        amortization,
        electricity,
        self_host,
        per_million_full,
        per_million_volume,
        cloud,
        breakeven,
        recommendation,
        reasons,
        warnings,
    )
