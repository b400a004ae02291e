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
