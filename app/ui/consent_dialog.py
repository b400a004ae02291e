"""The consent dialog: exactly what one cloud message would send, where, and its cost.

Nothing is sent from here: the dialog shows a :class:`~app.chat.cloud.CloudPlan`
and reports the user's decision.  The send itself re-checks everything
(network mode, routing rules, the key), so a dialog left open while the
network mode changes cannot send.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
)

from app.chat.cloud import CloudPlan

_PLACEHOLDER = re.compile(r"&lt;[A-Z][A-Z0-9_]*_\d+&gt;")


def payload_html(plan: CloudPlan) -> str:
    """The payload, message by message, with placeholders highlighted."""
    parts = []
    for m in plan.messages:
        body = html.escape(m.content).replace("\n", "<br>")
        body = _PLACEHOLDER.sub(
            lambda x: f"<span style='background:#fff2a8; font-weight:bold'>{x.group(0)}</span>",
            body,
        )
        parts.append(f"<p><b>{html.escape(m.role)}</b><br>{body}</p>")
    return "".join(parts)


def cost_text(plan: CloudPlan) -> str:
    cost = plan.estimated_cost
    if cost is None:
        return f"Estimated cost: price unknown for {plan.model} (edit pricing.toml to add it)."
    return (
        f"Estimated cost: up to ${cost:.4f} — about {plan.prompt_tokens:,} prompt tokens "
        f"and at most {plan.max_output_tokens:,} reply tokens."
    )


class ConsentDialog(QDialog):
    approved = Signal(object)  # the plan
    contextToggled = Signal(bool)  # noqa: N815 (Qt signal naming): re-plan with/without history

    def __init__(self, plan: CloudPlan, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("Send this message to the cloud?")
        self.resize(720, 600)
        self.plan = plan
        layout = QVBoxLayout(self)
        self.destination = QLabel()
        self.destination.setWordWrap(True)
        self.destination.setAccessibleName("Destination")
        layout.addWidget(self.destination)
        layout.addWidget(QLabel("Exactly this would be sent (after redaction):"))
        self.payload = QTextBrowser()
        self.payload.setAccessibleName("Payload that would be sent")
        layout.addWidget(self.payload, 1)
        self.redacted = QLabel()
        self.redacted.setWordWrap(True)
        self.redacted.setAccessibleName("What was redacted")
        layout.addWidget(self.redacted)
        self.show_originals = QCheckBox("Show the original values (on this computer only)")
        self.show_originals.toggled.connect(self._toggle_originals)
        layout.addWidget(self.show_originals)
        self.originals = QTableWidget(0, 2)
        self.originals.setHorizontalHeaderLabels(["Placeholder", "Original (never sent)"])
        self.originals.horizontalHeader().setStretchLastSection(True)
        self.originals.setAccessibleName("Original values")
        self.originals.hide()
        layout.addWidget(self.originals)
        self.cost = QLabel()
        self.cost.setAccessibleName("Estimated cost")
        layout.addWidget(self.cost)
        self.include_context = QCheckBox("Include earlier turns of this conversation (redacted)")
        self.include_context.setChecked(plan.include_context)
        self.include_context.toggled.connect(self._on_context)
        layout.addWidget(self.include_context)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a51d2d;")
        self.warning.setAccessibleName("Warning")
        self.warning.hide()
        layout.addWidget(self.warning)
        layout.addWidget(QLabel("Your consent covers this one message; the next one asks again."))
        buttons = QDialogButtonBox()
        self.send_button = QPushButton("Send this message")
        self.send_button.setAccessibleName("Send this message to the cloud")
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._approve)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.set_plan(plan)
        self.cancel_button.setFocus()  # Enter does not send by accident

    def set_plan(self, plan: CloudPlan) -> None:
        self.plan = plan
        self.destination.setText(
            f"<b>To:</b> {html.escape(plan.provider.label)} · <b>model</b> "
            f"{html.escape(plan.model)} · <b>host</b> {html.escape(plan.provider.host)}"
        )
        self.payload.setHtml(payload_html(plan))
        if plan.counts:
            kinds = ", ".join(f"{t} ×{n}" for t, n in sorted(plan.counts.items()))
            self.redacted.setText(f"Redacted before sending: {kinds}.")
        else:
            self.redacted.setText("The privacy filter found nothing to redact.")
        self.originals.setRowCount(0)
        for placeholder, value in sorted(plan.originals.items()):
            row = self.originals.rowCount()
            self.originals.insertRow(row)
            self.originals.setItem(row, 0, QTableWidgetItem(placeholder))
            self.originals.setItem(row, 1, QTableWidgetItem(value))
        self.originals.resizeColumnToContents(0)  # placeholders are short: show them whole
        self.show_originals.setEnabled(bool(plan.originals))
        self.cost.setText(cost_text(plan))
        self.include_context.blockSignals(True)
        self.include_context.setChecked(plan.include_context)
        self.include_context.blockSignals(False)
        self.send_button.setEnabled(not self.warning.isVisible())

    def _toggle_originals(self, on: bool) -> None:
        self.originals.setVisible(on)

    def _on_context(self, on: bool) -> None:
        self.send_button.setEnabled(False)  # until the new plan arrives
        self.contextToggled.emit(on)

    def block(self, reason: str) -> None:
        """Sending is no longer possible (e.g. the network mode changed)."""
        self.warning.setText(reason)
        self.warning.show()
        self.send_button.setEnabled(False)

    def _approve(self) -> None:
        if not self.send_button.isEnabled():
            return
        self.approved.emit(self.plan)
        self.accept()
