"""The privacy preview: what the filter found in a message, and what would be sent.

Detected spans are highlighted by type.  The user can un-redact a false
positive (untick its row) or select text and mark it for redaction; the
choice applies to this message only.  Analysis runs in the background, with
progress, so a 1 MB paste never freezes the window.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
)

from app.privacy.redactor import Entity, Redactor
from app.privacy.review import reviewed_entities
from app.privacy.vault import Vault
from app.ui.background import run_in_background

COLORS = {
    "PERSON": "#f9c0c0",
    "EMAIL_ADDRESS": "#c0d8f9",
    "PHONE_NUMBER": "#c8f0c8",
    "LOCATION": "#f3e3b5",
    "CREDIT_CARD": "#e8c8f5",
    "IBAN_CODE": "#e8c8f5",
    "US_SSN": "#f5c8de",
    "IP_ADDRESS": "#d0f0f0",
    "API_KEY": "#ffb3a7",
    "PRIVATE_KEY": "#ffb3a7",
    "PASSWORD": "#ffb3a7",
    "JWT": "#ffb3a7",
    "CUSTOM": "#fff2a8",
}
DEFAULT_COLOR = "#dddddd"
MAX_HIGHLIGHTS = 5_000  # beyond this the table still lists them; colouring would crawl


class Utf16Offsets:
    """Qt counts text positions in UTF-16 units, Python in code points."""

    def __init__(self, text: str) -> None:
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]

    def to_qt(self, index: int) -> int:
        return index + bisect.bisect_left(self._astral, index)

    def to_python(self, position: int) -> int:
        lo, hi = 0, position
        while lo < hi:  # the largest index whose Qt position is <= position
            mid = (lo + hi + 1) // 2
            if self.to_qt(mid) <= position:
                lo = mid
            else:
                hi = mid - 1
        return lo


class PrivacyPreview(QDialog):
    analysed = Signal()

    def __init__(
        self, text: str, redactor: Redactor, parent: object = None, vault: Vault | None = None
    ) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        # The conversation's vault: earlier values keep their placeholders. The
        # preview works on a copy; only sending a message adds to the real one.
        self.vault = vault or Vault()
        self.setWindowTitle("Privacy preview")
        self.resize(900, 620)
        self.text = text
        self.redactor = redactor
        self.found: list[Entity] = []
        self.extra: list[tuple[int, int]] = []
        self.error: str | None = None
        self.analysis_done = False

        self.status = QLabel("Looking for personal data…")
        self.status.setAccessibleName("Privacy preview status")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Analysis progress")
        self.progress.setRange(0, max(1, len(text)))
        self.source = QTextEdit()
        self.source.setReadOnly(True)
        self.source.setAccessibleName("Your message with detected data highlighted")
        self.source.setPlainText(text)
        self._offsets = Utf16Offsets(text)
        self.groups: list[list[int]] = []
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Redact (times)", "Type", "Text"])
        self.table.setAccessibleName("Detected personal data")
        self.table.itemChanged.connect(self._refresh_output)
        self.mark_button = QPushButton("Redact selection")
        self.mark_button.setAccessibleName("Redact the selected text")
        self.mark_button.clicked.connect(self.mark_selection)
        self.mark_button.setEnabled(False)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setAccessibleName("Text as it would be sent")

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.source)
        top.addWidget(self.table)
        top.setSizes([560, 340])
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.mark_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addLayout(row)
        layout.addWidget(top, 3)
        layout.addWidget(QLabel("What would leave this computer:"))
        layout.addWidget(self.output, 2)
        layout.addWidget(buttons)

        run_in_background(
            lambda progress: redactor.analyze(text, progress),
            self._on_found,
            self._on_failed,
            lambda done, total: self.progress.setValue(done),
        )

    # -- results --------------------------------------------------------------
    def _on_found(self, entities: list[Entity]) -> None:
        self.found = entities
        self.progress.setValue(self.progress.maximum())
        counts: dict[str, int] = {}
        for e in entities:
            counts[e.type] = counts.get(e.type, 0) + 1
        summary = ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "nothing"
        self.status.setText(f"Found {summary}. Untick a row to send it as is.")
        # One row per distinct value: unticking it sends every occurrence as typed.
        self.groups = []
        index: dict[tuple[str, str], int] = {}
        for i, e in enumerate(entities):
            key = (e.type, self.text[e.start : e.end])
            if key not in index:
                index[key] = len(self.groups)
                self.groups.append([])
            self.groups[index[key]].append(i)
        keys = list(index)
        self.table.blockSignals(True)
        self.table.setRowCount(len(keys))
        for row, (kind, value) in enumerate(keys):
            check = QTableWidgetItem(str(len(self.groups[row])))
            check.setCheckState(Qt.CheckState.Checked)
            self.table.setItem(row, 0, check)
            self.table.setItem(row, 1, QTableWidgetItem(kind))
            self.table.setItem(row, 2, QTableWidgetItem(value[:200]))
        self.table.blockSignals(False)
        self._highlight()
        self.mark_button.setEnabled(True)
        self.analysis_done = True
        self._refresh_output()
        self.analysed.emit()

    def _on_failed(self, message: str) -> None:
        self.error = message
        self.analysis_done = True
        self.status.setText(message)
        self.output.setPlainText("Nothing can be sent: the privacy filter is not working.")
        self.analysed.emit()

    # -- user corrections -----------------------------------------------------
    def unredacted(self) -> list[int]:
        """Indices into ``found`` of every occurrence the user unticked."""
        return [
            i
            for row in range(self.table.rowCount())
            if (item := self.table.item(row, 0)) is not None
            and item.checkState() != Qt.CheckState.Checked
            for i in self.groups[row]
        ]

    def mark_selection(self) -> None:
        cursor = self.source.textCursor()
        if cursor.hasSelection():
            start = self._offsets.to_python(cursor.selectionStart())
            end = self._offsets.to_python(cursor.selectionEnd())
            self.extra.append((start, end))
            self._highlight()
            self._refresh_output()

    def final_entities(self) -> list[Entity]:
        return reviewed_entities(
            self.text, self.found, unredacted=self.unredacted(), extra=self.extra
        )

    def redacted_text(self) -> str:
        vault = Vault.from_entries(self.vault.entries())
        return self.redactor.redact(self.text, vault, entities=self.final_entities()).redacted

    def _refresh_output(self, *_args: object) -> None:
        if self.analysis_done and self.error is None:
            self.output.setPlainText(self.redacted_text())

    def _highlight(self) -> None:
        """Colour the spans as extra selections: drawn over the text, no document edits."""
        selections = []
        for e in self.final_entities()[:MAX_HIGHLIGHTS]:
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.source.document())
            cursor.setPosition(self._offsets.to_qt(e.start))
            cursor.setPosition(self._offsets.to_qt(e.end), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(COLORS.get(e.type, DEFAULT_COLOR)))
            fmt.setToolTip(e.type)
            selection.format = fmt
            selections.append(selection)
        self.source.setExtraSelections(selections)
