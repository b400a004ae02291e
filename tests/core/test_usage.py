from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.costs.pricing import load_prices
from app.costs.usage import usage_report
from app.storage.history import History


def test_usage_is_aggregated_priced_and_energy_counted(tmp_path: Path) -> None:
    history = History(tmp_path / "h.db")
    conv = history.create_conversation()
    history.add_message(conv.id, "user", "q")
    for prompt, completion in ((1000, 500), (3000, 1500)):
        history.add_message(
            conv.id,
            "assistant",
            "a",
            engine="local",
            model="gemma",
            prompt_tokens=prompt,
            completion_tokens=completion,
            ttft_s=1.0,
            tokens_per_s=50.0,
        )
    history.add_message(conv.id, "assistant", "stopped early", complete=False)  # no tokens
    mini = load_prices().require("gpt-4.1-mini")
    report = usage_report(history, watts=100, kwh_price=0.2, compare=mini)
    doc = report.to_json()
    assert doc["totals"]["replies"] == 2 and doc["totals"]["total_tokens"] == 6000
    (month,) = doc["months"]
    assert (month["engine"], month["model"], month["completion_tokens"]) == ("local", "gemma", 2000)
    generation_s = (1 + 500 / 50) + (1 + 1500 / 50)  # ttft + decode time
    assert report.local_energy_usd == pytest.approx(generation_s / 3600 * 0.1 * 0.2)
    assert doc["local_would_cost"]["usd"] == pytest.approx((4000 * 0.4 + 2000 * 1.6) / 1e6)
    assert doc["cloud_spend_usd"] == 0.0
    history.close()


def test_cost_cli_json(hearth_home: Path) -> None:
    from tests.integration.test_cli import hearth

    out = hearth("cost", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["totals"]["replies"] == 0 and doc["local_would_cost"]["model"] == "GPT-4.1 mini"
    hearth("settings", "set", "costs.compare_model", "mystery-model")
    unknown = json.loads(hearth("cost", "--json").stdout)
    assert unknown["local_would_cost"] is None  # price unknown, never $0


def test_cloud_spend_month_daily_volumes_and_bands(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from app.costs.usage import cloud_spend_this_month, daily_tokens, volume_band

    history = History(tmp_path / "h.db")
    conv = history.create_conversation()
    now = datetime.now(UTC)
    last_month = now.replace(day=1) - timedelta(days=3)
    rows = [  # (when, engine, host, cost, prompt, completion)
        (now, "openai", "api.openai.com", 0.25, 100, 50),
        (now, "anthropic", "api.anthropic.com", None, 10, 5),  # price unknown
        (last_month, "openai", "api.openai.com", 1.0, 100, 50),
        (now - timedelta(days=1), "local", None, None, 300, 200),
    ]
    for when, engine, host, cost, p, c in rows:
        m = history.add_message(conv.id, "assistant", "a", engine=engine, model="m",
                                host=host, cost_usd=cost, prompt_tokens=p,
                                completion_tokens=c)  # fmt: skip
        history.update_message(m.id, created_at=when)
    report = usage_report(history, watts=50, kwh_price=0.16, compare=None, now=now)
    assert report.cloud_spend_usd == pytest.approx(1.25)
    assert report.cloud_month_usd == pytest.approx(0.25)
    assert cloud_spend_this_month(history, now) == report.cloud_month_usd  # the budget cap's sum
    assert report.cloud_unpriced_replies == 1
    assert report.local_energy_usd == 0.0  # no timings were recorded for the local reply
    week = daily_tokens(report, 7, today=now.date())
    assert len(week) == 7 and week[-1][0] == now.date().isoformat()
    assert week[-1][1] == {"openai": 150, "anthropic": 15}
    assert week[-2][1] == {"local": 500} and week[0][1] == {}
    assert "cloud" in volume_band(1_000_000)
    assert "hybrid" in volume_band(5_000_000)
    assert "self-hosting" in volume_band(20_000_000)
    history.close()
