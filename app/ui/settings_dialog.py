"""Settings: the options a desktop user changes most, in one dialog (every setting stays
available through `hearth settings`).  Labels are the settings' own declared titles, and
values are checked by the settings model: all of them are saved, or none."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import Hearth

# (tab, keys, a note shown above them)
SECTIONS: list[tuple[str, list[str], str]] = [
    ("Replies", ["model.max_tokens", "model.temperature", "model.system_prompt"], ""),
    (
        "Loading",
        ["model.n_ctx", "model.n_threads", "model.gpu_layers"],
        "These apply the next time a model is loaded.",
    ),
    (
        "Your servers",
        [
            "engines.ollama.enabled",
            "engines.ollama.base_url",
            "engines.server.enabled",
            "engines.server.base_url",
            "network.trusted_hosts",
            "network.request_timeout_s",
        ],
        "A server on another computer is reached only in the lan or cloud network mode, "
        "and only if it has a private address or is listed as yours. Every request to it "
        "is written to the egress audit. A server's API key goes in Tools → API keys.",
    ),
    (
        "Privacy",
        ["privacy.deny_list", "privacy.allow_list", "privacy.score_threshold"],
        "Lists are comma-separated.",
    ),
    (
        "Routing",
        ["routing.local_only_types", "routing.medical_terms", "routing.overflow_seconds"],
        "Messages holding these types never go to a cloud provider, even redacted.",
    ),
    (
        "Costs",
        [
            "costs.monthly_budget_usd",
            "costs.device_watts",
            "costs.kwh_price",
            "costs.compare_model",
        ],
        "",
    ),
]
MULTILINE = {"model.system_prompt"}
BAD_FIELD = "border: 2px solid #c01c28;"

Field = QLineEdit | QCheckBox | QPlainTextEdit | QComboBox


class SettingsDialog(QDialog):
    applied = Signal(list)  # the keys that changed

    def __init__(self, hearth: Hearth, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("Settings")
        self.resize(680, 460)
        self.hearth = hearth
        self.fields: dict[str, Field] = {}
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        for title, keys, note in SECTIONS:
            self.tabs.addTab(self._page(keys, note), title)
        layout.addWidget(self.tabs, 1)
        self.errors = QLabel("")
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #c01c28;")
        self.errors.setAccessibleName("Settings errors")
        self.errors.hide()
        layout.addWidget(self.errors)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(buttons)

    def _page(self, keys: list[str], note: str) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)  # rows at the top, not spread over the page
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            form.addRow(label)
        settings = self.hearth.settings
        for key in keys:
            title = settings.title(key)
            field = self._field(key)
            field.setAccessibleName(title)
            field.setToolTip(key)
            form.addRow(title, field)
            self.fields[key] = field
        return page

    def _field(self, key: str) -> Field:
        settings = self.hearth.settings
        value = settings.get(key)
        if isinstance(value, bool):
            box = QCheckBox()
            box.setChecked(value)
            return box
        if key in MULTILINE:
            edit = QPlainTextEdit(settings.text(key))
            edit.setMaximumHeight(90)
            return edit
        if key == "costs.compare_model":
            combo = QComboBox()
            combo.setEditable(True)
            for model_id in sorted(self.hearth.prices().prices):
                combo.addItem(model_id)
            combo.setCurrentText(settings.text(key))
            return combo
        return QLineEdit(settings.text(key))

    @staticmethod
    def _raw(field: Field) -> str:
        if isinstance(field, QCheckBox):
            return "true" if field.isChecked() else "false"
        if isinstance(field, QPlainTextEdit):
            return field.toPlainText()
        if isinstance(field, QComboBox):
            return field.currentText().strip()
        return field.text().strip()

    def changes(self) -> dict[str, str]:
        """{key: new text} for every field the user changed."""
        settings = self.hearth.settings
        return {
            key: raw
            for key, field in self.fields.items()
            if (raw := self._raw(field)) != settings.text(key)
        }

    def save(self) -> None:
        changes = self.changes()
        for field in self.fields.values():
            field.setStyleSheet("")
        errors = self.hearth.apply_settings(changes)
        if errors:
            lines = []
            for key, message in errors.items():
                self.fields[key].setStyleSheet(BAD_FIELD)
                lines.append(f"{self.hearth.settings.title(key)}: {message}")
            self.errors.setText("Nothing was saved.\n" + "\n".join(lines))
            self.errors.show()
            first = next(iter(errors))
            self.tabs.setCurrentIndex(
                next(i for i, (_t, keys, _n) in enumerate(SECTIONS) if first in keys)
            )
            self.fields[first].setFocus()
            return
        self.errors.hide()
        self.applied.emit(sorted(changes))
        self.accept()
