"""The cost dashboard: real usage from a real database, charted; the break-even calculator."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core import Hearth
from app.ui.dashboard import Dashboard

TIMEOUT_MS = 60_000


@pytest.fixture
def dashboard(qtbot: QtBot, hearth_home: Path) -> Iterator[Dashboard]:
    hearth = Hearth()
    history = hearth.history
    conv = history.create_conversation()
    now = datetime.now(UTC)
    for when, engine, host, cost, tokens in (
        (now, "local", None, None, 3000),
        (now, "openai", "api.openai.com", 0.25, 1000),
        (now - timedelta(days=2), "local", None, None, 500),
        (now - timedelta(days=20), "local", None, None, 800),
    ):
        m = history.add_message(conv.id, "assistant", "a", engine=engine, model="m", host=host,
                                cost_usd=cost, prompt_tokens=tokens // 2,
                                completion_tokens=tokens - tokens // 2, ttft_s=0.1,
                                tokens_per_s=40.0)  # fmt: skip
        history.update_message(m.id, created_at=when)
    hearth.settings.set("costs.monthly_budget_usd", "10")
    dialog = Dashboard(hearth)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=TIMEOUT_MS)
    yield dialog
    dialog.close()
    hearth.close()


def test_summary_and_charts_show_the_stored_usage(dashboard: Dashboard) -> None:
    text = dashboard.summary.text()
    assert "Cloud spend this month: $0.2500 of a $10.00 monthly budget" in text
    assert "would have cost $" in text and "cloud APIs tend to win" in text
    bars, volume = dashboard.figure.axes
    today = [p for p in bars.patches if p.get_x() >= len(dashboard.daily()) - 1.5]
    assert sorted(round(p.get_height()) for p in today) == [1000, 3000]  # local + openai
    levels = sorted(line.get_ydata()[0] for line in volume.get_lines()[1:])
    daily = list(volume.get_lines()[0].get_ydata())
    used = {i: v for i, v in enumerate(daily) if not math.isnan(v)}
    assert used == {29: 4000, 27: 500, 9: 800}  # today, 2 and 20 days ago; no fake points
    assert levels == [2_000_000, 10_000_000]  # the seed's thresholds are marked
    assert len(dashboard.daily()) == 30
    dashboard.days.setCurrentIndex(0)
    assert len(dashboard.daily()) == 7 and len(dashboard.figure.axes[0].get_xticks()) == 7
    assert sum(sum(per.values()) for _, per in dashboard.daily()) == 4500  # day 20 is out


def test_break_even_reproduces_the_seed_rtx_4090_row(dashboard: Dashboard) -> None:
    dashboard.tabs.setCurrentIndex(1)
    # No 'hearth bench' yet: the throughput starts at the local replies' measured speed.
    assert dashboard.tps.value() == 40.0
    assert "your local replies" in dashboard.tps_label.text()
    dashboard.hardware_cost.setValue(1800)
    dashboard.months.setValue(36)
    dashboard.watts.setValue(390)  # 0.39 kW x 24 h x 30 d x $0.16 = $44.93/month
    dashboard.hours.setValue(24)
    dashboard.kwh.setValue(0.16)
    dashboard.tps.setValue(330e6 / 86400)  # ~330M tokens/day
    dashboard.volume.setValue(5_000_000)
    dashboard.input_share.setValue(0.5)
    dashboard.cloud_model.setCurrentIndex(dashboard.cloud_model.findData("claude-haiku-4-5"))
    text = dashboard.outcome.text()
    assert "Amortization: $50.00/month" in text and "$450.00/month" in text
    assert "Break-even: 5.1 months" in text and "Recommendation:" in text
    dashboard.volume.setValue(0)  # bad input: a message, not a crash
    assert "To compute:" in dashboard.outcome.text()
