"""The cloud price table: bundled ``resources/pricing.toml`` plus the user's edits.

An unknown model has no price (``None``): the UI says "price unknown", never $0.
A malformed table is reported with a clear message; the bundled table (or the
valid part of the user's) keeps the app working.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.errors import ConfigError

BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "pricing.toml"


@dataclass(frozen=True)
class Price:
    model: str
    provider: str
    name: str
    input_per_million: float
    output_per_million: float
    api_id: str = ""  # the model id as the provider's API spells it (the table's key)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / 1e6


def normalize(model: str) -> str:
    """'Claude Sonnet 4.6', 'claude-sonnet-4-6' and 'claude-sonnet-4.6' are one model."""
    return re.sub(r"[\s_.]+", "-", model.strip().lower())


@dataclass
class PriceTable:
    prices: dict[str, Price]
    as_of: str
    problems: list[str]

    def get(self, model: str) -> Price | None:
        key = normalize(model)
        if key in self.prices:
            return self.prices[key]
        for price in self.prices.values():
            if normalize(price.name) == key:
                return price
        return None

    def require(self, model: str) -> Price:
        price = self.get(model)
        if price is None:
            known = ", ".join(sorted(self.prices))
            raise ConfigError(
                f"Price unknown for {model!r}.",
                hint=f"Known models: {known}. Add it to pricing.toml in the config folder.",
            )
        return price


def _parse(path: Path, problems: list[str]) -> tuple[dict[str, Price], str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read ({exc}); it was ignored.")
        return {}, ""
    prices: dict[str, Price] = {}
    models = data.get("models", {})
    if not isinstance(models, dict):
        problems.append(f"{path}: [models] must be a table; it was ignored.")
        return {}, str(data.get("as_of", ""))
    for key, entry in models.items():
        try:
            inp, out = float(entry["input"]), float(entry["output"])
            if inp < 0 or out < 0:
                raise ValueError("negative price")
            prices[normalize(key)] = Price(
                normalize(key),
                str(entry.get("provider", "")),
                str(entry.get("name", key)),
                inp,
                out,
                api_id=str(key),
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{path}: model {key!r} is malformed ({exc}); it was skipped.")
    return prices, str(data.get("as_of", ""))


def load_prices(user_file: Path | None = None, bundled: Path = BUNDLED) -> PriceTable:
    problems: list[str] = []
    prices, as_of = _parse(bundled, problems)
    if user_file is not None and user_file.exists():
        user_prices, user_as_of = _parse(user_file, problems)
        prices.update(user_prices)
        as_of = user_as_of or as_of
    return PriceTable(prices, as_of, problems)
