"""The cost dashboard: where tokens went, what the cloud cost, and when hardware pays off.

Charts are drawn with matplotlib (its Qt canvas); the numbers come from
:mod:`app.costs` — the page computes nothing itself.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import Hearth
from app.ui.background import run_in_background

THRESHOLDS = [(2_000_000, "2M/day: below, cloud tends to win"),
              (10_000_000, "10M/day: above, self-hosting tends to win")]  # fmt: skip
ENGINE_COLORS = {"local": "#26a269", "ollama": "#3584e4", "server": "#9141ac"}
CLOUD_COLOR = "#c64600"


@dataclass
class DashboardData:
    report: Any  # UsageReport
    prices: Any  # PriceTable
    average_30d: float
    measured_tps: tuple[float, str] | None  # tokens/s and where the number comes from
    budget: float


def collect(hearth: Hearth) -> DashboardData:
    from app.costs.usage import usage_report

    cfg = hearth.settings.costs
    prices = hearth.prices()
    report = usage_report(
        hearth.history,
        watts=cfg.device_watts,
        kwh_price=cfg.kwh_price,
        compare=prices.get(cfg.compare_model),
    )
    return DashboardData(
        report,
        prices,
        hearth.history.average_tokens_per_day(30),
        hearth.measured_tokens_per_second(),
        cfg.monthly_budget_usd,
    )


def _spin(value: float, top: float, decimals: int = 2, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0, top)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setGroupSeparatorShown(True)
    return box


class Dashboard(QDialog):
    def __init__(self, hearth: Hearth, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        # matplotlib's font cache lives with Hearth's data (portable installs, tests).
        os.environ.setdefault("MPLCONFIGDIR", str(hearth.paths.data_dir / "matplotlib"))
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.setWindowTitle("Cost and usage")
        self.resize(1000, 700)
        self.hearth = hearth
        self.loaded = False
        self.data: DashboardData | None = None
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)

        usage = QWidget()
        box = QVBoxLayout(usage)
        self.summary = QLabel("Reading your usage…")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Usage summary")
        box.addWidget(self.summary)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show the last"))
        self.days = QComboBox()
        self.days.addItem("7 days", 7)
        self.days.addItem("30 days", 30)
        self.days.setCurrentIndex(1)
        self.days.setAccessibleName("Days shown")
        self.days.currentIndexChanged.connect(self.draw)
        row.addWidget(self.days)
        row.addStretch(1)
        box.addLayout(row)
        self.figure = Figure(figsize=(9, 5.5), tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setAccessibleName("Usage charts")
        box.addWidget(self.canvas, 1)
        self.tabs.addTab(usage, "Usage")
        self.tabs.addTab(self._breakeven_page(), "Break-even")
        hearth_ = hearth
        run_in_background(lambda _p: collect(hearth_), self._loaded, self._failed)

    # -- usage ----------------------------------------------------------------------------
    def _loaded(self, data: DashboardData) -> None:
        from app.costs.usage import volume_band

        self.data = data
        self.loaded = True
        r = data.report
        budget = f" of a ${data.budget:,.2f} monthly budget" if data.budget else ""
        unpriced = (
            f" ({r.cloud_unpriced_replies} cloud replies with price unknown)"
            if r.cloud_unpriced_replies
            else ""
        )
        would = (
            f"Your local tokens would have cost ${r.local_would_cost_usd:,.4f} on {r.compare.name}."
            if r.compare is not None and r.local_would_cost_usd is not None
            else "Cloud comparison: price unknown for the chosen model."
        )
        self.summary.setText(
            f"Cloud spend this month: ${r.cloud_month_usd:,.4f}{budget}{unpriced}. "
            f"{would} Local electricity so far: ${r.local_energy_usd:,.4f}. "
            f"Average volume (30 days): {data.average_30d:,.0f} tokens/day — "
            f"{volume_band(data.average_30d)}."
        )
        if data.measured_tps:
            rate, source = data.measured_tps
            self.tps.setValue(rate)
            self.tps_label.setText(f"Local throughput (measured: {source})")
        if data.average_30d:
            self.volume.setValue(data.average_30d)
        self.draw()
        self.recompute()

    def _failed(self, message: str) -> None:
        self.loaded = True
        self.summary.setText(message)

    def daily(self) -> list[tuple[str, dict[str, int]]]:
        from app.costs.usage import daily_tokens

        if self.data is None:
            return []
        return daily_tokens(self.data.report, int(self.days.currentData()))

    def draw(self) -> None:
        if self.data is None:
            return
        days = self.daily()
        labels = [d[5:] for d, _ in days]
        engines = sorted({e for _, per in days for e in per})
        self.figure.clear()
        bars, volume = self.figure.subplots(2, 1)
        bottom = [0] * len(days)
        for engine in engines:
            values = [per.get(engine, 0) for _, per in days]
            color = ENGINE_COLORS.get(engine, CLOUD_COLOR)
            bars.bar(labels, values, bottom=bottom, label=engine, color=color)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        bars.set_title("Tokens per day by engine")
        bars.set_ylabel("tokens")
        if engines:
            bars.legend(loc="upper left", fontsize="small")
        bars.tick_params(axis="x", labelrotation=60, labelsize="x-small")
        # A day without use has no point (a log scale has no zero): the line breaks there.
        totals = [sum(per.values()) or math.nan for _, per in days]
        volume.plot(labels, totals, marker="o", color="#333333", label="your daily volume")
        for level, text in THRESHOLDS:
            volume.axhline(level, linestyle="--", color="#a51d2d", linewidth=1)
            volume.annotate(text, (0, level), xytext=(4, 3), textcoords="offset points",
                            fontsize="x-small", color="#a51d2d")  # fmt: skip
        volume.set_yscale("log")
        volume.set_ylim(1, 5e7)
        volume.set_title("Daily volume against the self-host vs cloud thresholds")
        volume.tick_params(axis="x", labelrotation=60, labelsize="x-small")
        self.canvas.draw_idle()

    # -- break-even -----------------------------------------------------------------------
    def _breakeven_page(self) -> QWidget:
        page = QWidget()
        outer = QHBoxLayout(page)
        form = QFormLayout()
        self.hardware_cost = _spin(1800, 10_000_000, 0, " $")
        self.months = _spin(36, 600, 0, " months")
        self.watts = _spin(450, 1_000_000, 0, " W")
        self.hours = _spin(24, 24, 1, " h/day")
        self.kwh = _spin(self.hearth.settings.costs.kwh_price, 10, 3, " $/kWh")
        self.tps = _spin(0, 1_000_000, 1, " tokens/s")
        self.volume = _spin(0, 1e12, 0, " tokens/day")
        self.input_share = _spin(0.5, 1, 2)
        self.cloud_model = QComboBox()
        for key, price in sorted(self.hearth.prices().prices.items()):
            self.cloud_model.addItem(price.name, key)
        wanted = self.cloud_model.findData(self.hearth.settings.costs.compare_model)
        self.cloud_model.setCurrentIndex(max(0, wanted))
        self.privacy = QCheckBox("Privacy requires keeping data local")
        self.tps_label = QLabel("Local throughput (run 'hearth bench' to measure it)")
        for label, widget in (
            ("Hardware cost", self.hardware_cost),
            ("Amortized over", self.months),
            ("Power draw", self.watts),
            ("Hours per day", self.hours),
            ("Electricity price", self.kwh),
            (self.tps_label, self.tps),
            ("Daily token volume (your 30-day average)", self.volume),
            ("Input share of tokens", self.input_share),
            ("Cloud model to compare", self.cloud_model),
            ("", self.privacy),
        ):
            form.addRow(label, widget)
            if isinstance(widget, QDoubleSpinBox):
                widget.valueChanged.connect(self.recompute)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.recompute)
            else:
                widget.toggled.connect(self.recompute)
        outer.addLayout(form, 1)
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("Break-even result")
        self.outcome.setMinimumWidth(380)
        self.outcome.setAlignment(Qt.AlignmentFlag.AlignTop)
        outer.addWidget(self.outcome, 1)
        return page

    def recompute(self) -> None:
        from app.costs.breakeven import BreakevenInputs, compute
        from app.errors import HearthError

        price = self.hearth.prices().get(str(self.cloud_model.currentData()))
        if price is None:
            self.outcome.setText("Price unknown for that model.")
            return
        try:
            res = compute(
                BreakevenInputs(
                    hardware_cost=self.hardware_cost.value(),
                    tokens_per_day=self.volume.value(),
                    price=price,
                    months=self.months.value(),
                    watts=self.watts.value(),
                    hours_per_day=self.hours.value(),
                    kwh_price=self.kwh.value(),
                    tokens_per_second=self.tps.value(),
                    input_share=self.input_share.value(),
                    privacy_required=self.privacy.isChecked(),
                )
            )
        except HearthError as exc:
            self.outcome.setText("To compute: " + exc.message.replace("--", "").replace("-", " "))
            return
        months = "never" if res.breakeven_months is None else f"{res.breakeven_months:.1f} months"
        lines = [
            f"<b>Recommendation: {res.recommendation}</b>",
            f"Amortization: ${res.amortization_per_month:,.2f}/month",
            f"Electricity: ${res.electricity_per_month:,.2f}/month",
            f"Self-hosting: ${res.self_host_per_month:,.2f}/month",
            f"Local cost per 1M tokens at full capacity: ${res.local_cost_per_million_tokens:,.4f}",
            f"… at your volume: ${res.local_cost_per_million_at_volume:,.4f}",
            f"{price.name}: ${res.cloud_per_month:,.2f}/month",
            f"Break-even: {months}",
            "",
            *[f"• {r}" for r in res.reasons],
            *[f"⚠ {w}" for w in res.warnings],
        ]
        self.outcome.setText("<br>".join(lines))
