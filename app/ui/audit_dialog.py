"""The egress audit: every request that left this computer, newest first."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from app.core import Hearth
from app.storage.audit import EgressView
from app.ui.background import run_in_background

COLUMNS = [
    "Time",
    "Provider",
    "Host",
    "Model",
    "Bytes sent",
    "Payload SHA-256",
    "Redacted",
    "Tokens in/out",
    "Cost",
    "Outcome",
]


def row_cells(r: EgressView) -> list[str]:
    kinds = ", ".join(f"{t} {n}" for t, n in sorted(r.redacted.items())) or "nothing"
    cost = "price unknown" if r.cost_usd is None else f"${r.cost_usd:.4f}"
    return [
        f"{r.at.astimezone():%Y-%m-%d %H:%M:%S}",
        r.provider,
        r.host,
        r.model,
        f"{r.bytes_sent:,}",
        r.payload_sha256,
        kinds,
        f"{r.prompt_tokens or 0}/{r.completion_tokens or 0}",
        cost,
        r.outcome,
    ]


class AuditDialog(QDialog):
    def __init__(self, hearth: Hearth, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("Egress audit")
        self.resize(1000, 420)
        self.loaded = False
        layout = QVBoxLayout(self)
        self.summary = QLabel("Reading the audit log…")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Audit summary")
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Requests that left this computer")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        from app.storage.audit import EgressLog

        log = EgressLog(hearth.history)
        run_in_background(lambda _p: log.rows(limit=5000), self._show, self._failed)

    def _show(self, rows: list[EgressView]) -> None:
        self.loaded = True
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, text in enumerate(row_cells(r)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if rows:
            self.summary.setText(
                f"{len(rows)} request(s) left this computer: cloud messages you approved one "
                "by one, model downloads you started, and requests to your own servers on the "
                "network. Message text is never logged here: only its fingerprint and size."
            )
        else:
            self.summary.setText("No request has left this computer.")

    def _failed(self, message: str) -> None:
        self.loaded = True
        self.summary.setText(message)
