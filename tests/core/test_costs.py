"""The price table and the break-even math, checked against the seed article's figures.

Assumptions, stated once: 30-day months; the seed's electricity figures are
monthly dollars as quoted ($45, $55, $90); capacity is the seed's tokens/day;
cloud costs use a 50/50 input/output split; break-even = hardware cost /
(cloud - self-host per month).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.costs.breakeven import BreakevenInputs, compute
from app.costs.pricing import load_prices
from app.errors import ConfigError, UsageError

PRICES = load_prices()


def test_bundled_table_is_dated_and_has_the_seed_prices() -> None:
    assert PRICES.as_of == "2026-04" and not PRICES.problems
    expected = {
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-5": (1.25, 10.00),
        "o3": (2.00, 8.00),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
        "claude-haiku-4-5": (1.00, 5.00),
        "claude-sonnet-4-6": (3.00, 15.00),
        "claude-opus-4-6": (5.00, 25.00),
    }
    for model, (inp, out) in expected.items():
        price = PRICES.get(model)
        assert price and (price.input_per_million, price.output_per_million) == (inp, out)
    assert PRICES.get("Claude Sonnet 4.6") is PRICES.get("claude-sonnet-4.6")


def test_unknown_model_has_no_price_never_zero() -> None:
    assert PRICES.get("gpt-9-ultra") is None
    with pytest.raises(ConfigError, match="Price unknown"):
        PRICES.require("gpt-9-ultra")


def test_user_table_overrides_and_malformed_entries_are_reported(tmp_path: Path) -> None:
    user = tmp_path / "pricing.toml"
    user.write_text(
        'as_of = "2026-11"\n'
        '[models."gpt-4.1"]\ninput = 1.5\noutput = 6\n'
        '[models."broken"]\ninput = "cheap"\n'
        '[models."my-gateway-model"]\nname = "Gateway"\ninput = 0.2\noutput = 0.8\n'
    )
    table = load_prices(user)
    assert table.require("gpt-4.1").input_per_million == 1.5
    assert table.require("my-gateway-model").output_per_million == 0.8
    assert table.get("broken") is None and any("broken" in p for p in table.problems)
    assert table.as_of == "2026-11"
    user.write_text("not [valid toml")
    bad = load_prices(user)
    assert bad.get("gpt-4.1") and "cannot be read" in bad.problems[0]  # the app still works


@pytest.mark.parametrize(
    ("hardware", "electricity", "capacity", "amortization", "per_million"),
    [
        (1800, 45, 330e6, 50.0, 0.009),  # RTX 4090 + 8B Q4
        (3000, 55, 160e6, 83.33, 0.028),  # RTX 5090 + 30B Q4
        (3600, 90, 80e6, 100.0, 0.079),  # 2x RTX 4090 + 70B Q4
    ],
)
def test_seed_cost_per_million_tokens(
    hardware: float, electricity: float, capacity: float, amortization: float, per_million: float
) -> None:
    r = compute(
        BreakevenInputs(
            hardware_cost=hardware,
            tokens_per_day=capacity,
            price=PRICES.require("gpt-4.1"),
            electricity_per_month=electricity,
            capacity_tokens_per_day=capacity,
        )
    )
    assert r.amortization_per_month == pytest.approx(amortization, abs=0.01)
    assert r.local_cost_per_million_tokens == pytest.approx(per_million, rel=0.1)


@pytest.mark.parametrize(
    ("model", "volume", "hardware", "self_host", "cloud", "months", "seed_rounded"),
    [
        ("Claude Haiku 4.5", 5e6, 1800, 95, 450, 5.07, 5),
        ("GPT-4.1", 10e6, 3600, 190, 1500, 2.75, 3),
        ("Claude Sonnet 4.6", 10e6, 3600, 190, 2700, 1.43, 2),
    ],
)
def test_seed_breakeven_rows(
    model: str,
    volume: float,
    hardware: float,
    self_host: float,
    cloud: float,
    months: float,
    seed_rounded: int,
) -> None:
    amortization = hardware / 36
    r = compute(
        BreakevenInputs(
            hardware_cost=hardware,
            tokens_per_day=volume,
            price=PRICES.require(model),
            electricity_per_month=self_host - amortization,
            capacity_tokens_per_day=330e6,
        )
    )
    assert r.self_host_per_month == pytest.approx(self_host)
    assert r.cloud_per_month == pytest.approx(cloud)
    assert r.breakeven_months == pytest.approx(months, abs=0.01)
    # The seed quotes 5, 3 and 2 months: rounded for the first row, rounded up
    # ("pays back within month N") for the others; each is within a month.
    assert abs(r.breakeven_months - seed_rounded) < 1


def test_the_seeds_gpt41_mini_row_does_not_follow_from_its_prices() -> None:
    """The seed says ~$300/month for GPT-4.1 mini at 5M tokens/day; at $0.40/$1.60
    no input/output split gets there: all-output traffic is the maximum, $240."""
    mini = PRICES.require("gpt-4.1-mini")
    costs = [
        compute(
            BreakevenInputs(
                hardware_cost=1800,
                tokens_per_day=5e6,
                price=mini,
                input_share=share / 10,
                electricity_per_month=45,
                capacity_tokens_per_day=330e6,
            )
        ).cloud_per_month
        for share in range(11)
    ]
    assert max(costs) == pytest.approx(240.0) and max(costs) < 300


def test_electricity_from_watts_and_capacity_from_tokens_per_second() -> None:
    r = compute(
        BreakevenInputs(
            hardware_cost=1800,
            tokens_per_day=1e6,
            price=PRICES.require("gpt-4.1"),
            watts=400,
            hours_per_day=8,
            kwh_price=0.16,
            tokens_per_second=100,
        )
    )
    assert r.electricity_per_month == pytest.approx(0.4 * 8 * 30 * 0.16)
    capacity = 100 * 3600 * 8
    assert r.local_cost_per_million_tokens == pytest.approx(
        r.self_host_per_month / (capacity * 30 / 1e6)
    )
    assert r.local_cost_per_million_at_volume > r.local_cost_per_million_tokens  # idle costs


def test_recommendations_and_privacy_override() -> None:
    def rec(volume: float, privacy: bool = False) -> str:
        return compute(
            BreakevenInputs(
                hardware_cost=1800,
                tokens_per_day=volume,
                price=PRICES.require("claude-haiku-4-5"),
                electricity_per_month=45,
                capacity_tokens_per_day=330e6,
                privacy_required=privacy,
            )
        ).recommendation

    assert rec(1e6) == "cloud"  # $90/month of cloud never pays back $95/month of hardware
    assert rec(5e6) == "hybrid"
    assert rec(50e6) == "self-host"
    assert rec(1e6, privacy=True) == "self-host"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"hardware_cost": 0}, "--hardware-cost must be greater than zero"),
        ({"hardware_cost": -5}, "greater than zero"),
        ({"tokens_per_day": 0}, "daily token volume"),
        ({"capacity_tokens_per_day": None, "tokens_per_second": 0}, "--tokens-per-second"),
        ({"capacity_tokens_per_day": None}, "--tokens-per-second"),
        ({"months": 0}, "--months"),
        ({"input_share": 1.5}, "--input-share"),
        ({"hours_per_day": 30}, "cannot exceed 24"),
    ],
)
def test_bad_inputs_say_what_is_missing(changes: dict[str, object], fragment: str) -> None:
    base: dict[str, object] = dict(
        hardware_cost=1800,
        tokens_per_day=5e6,
        price=PRICES.require("gpt-4.1"),
        electricity_per_month=45,
        capacity_tokens_per_day=330e6,
    )
    base.update(changes)
    with pytest.raises(UsageError, match=fragment):
        compute(BreakevenInputs(**base))  # type: ignore[arg-type]


def test_absurd_values_warn() -> None:
    r = compute(
        BreakevenInputs(
            hardware_cost=9e9,
            tokens_per_day=1e12,
            price=PRICES.require("gpt-4.1"),
            watts=1e6,
            tokens_per_second=10,
        )
    )
    assert len(r.warnings) == 3


def test_breakeven_cli_json_keys_and_measured_defaults(hearth_home: Path) -> None:
    from tests.integration.test_cli import hearth

    out = hearth(
        "breakeven",
        "--hardware-cost",
        "1800",
        "--watts",
        "400",
        "--capacity-tokens-per-day",
        "330000000",
        "--tokens-per-day",
        "5000000",
        "--cloud-model",
        "claude-haiku-4-5",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {
        "amortization_per_month",
        "electricity_per_month",
        "self_host_per_month",
        "local_cost_per_million_tokens",
        "local_cost_per_million_at_volume",
        "cloud_per_month",
        "breakeven_months",
        "recommendation",
        "reasons",
    }
    assert doc["breakeven_months"] == pytest.approx(5.09, abs=0.01)
    # throughput defaults to what 'hearth bench' measured; volume to usage history
    (hearth_home / "data").mkdir(parents=True, exist_ok=True)
    (hearth_home / "data" / "bench.json").write_text('{"decode_tokens_per_s_engine": 40.0}')
    missing = hearth(
        "breakeven",
        "--hardware-cost",
        "1800",
        "--watts",
        "400",
        "--cloud-model",
        "gpt-4.1",
        "--json",
    )
    assert missing.returncode == 2 and "daily token volume" in missing.stderr
    assert "40.0 tokens/s" in missing.stderr
    unknown = hearth(
        "breakeven",
        "--hardware-cost",
        "1800",
        "--watts",
        "400",
        "--tokens-per-day",
        "1000",
        "--cloud-model",
        "gpt-9",
        "--json",
    )
    assert unknown.returncode == 1 and "Price unknown" in unknown.stderr
    assert unknown.stdout == "" and "Traceback" not in unknown.stderr


def test_prices_keep_the_model_id_the_api_expects() -> None:
    mini = PRICES.require("gpt-4.1-mini")
    assert mini.api_id == "gpt-4.1-mini" and mini.model == "gpt-4-1-mini"  # key vs lookup
    assert PRICES.require("claude-sonnet-4-6").api_id == "claude-sonnet-4-6"


def test_without_a_bench_the_throughput_is_the_median_of_local_replies(hearth_home: Path) -> None:
    from app.config import Paths
    from app.storage.history import History
    from tests.integration.test_cli import hearth

    paths = Paths.from_env()
    paths.ensure()
    history = History(paths.database_file)
    conv = history.create_conversation()
    for engine, speed in (("local", 30.0), ("local", 42.0), ("local", 50.0), ("openai", 300.0),
                          ("local", None)):  # fmt: skip
        history.add_message(conv.id, "assistant", "a", engine=engine, model="m",
                            tokens_per_s=speed, prompt_tokens=10, completion_tokens=10)  # fmt: skip
    assert history.local_reply_speed(30) == 42.0  # cloud and unmeasured replies left out
    history.close()
    args = ["breakeven", "--hardware-cost", "1800", "--watts", "400", "--cloud-model", "gpt-4.1"]
    out = hearth(*args, "--json")
    assert out.returncode == 0, out.stderr
    assert "42.0 tokens/s (your local replies, last 30 days)" in out.stderr
    # A bench measurement wins over the replies.
    (paths.data_dir / "bench.json").write_text('{"decode_tokens_per_s_engine": 40.0}')
    assert "40.0 tokens/s (hearth bench)" in hearth(*args, "--json").stderr
