"""API keys: add, replace or delete them in the OS keyring (never shown, never on disk).

Every keyring call runs in the background: a locked keyring may prompt, and
a Secret Service call can take a while.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.core import Hearth
from app.secrets import StoredKey
from app.ui.background import run_in_background


class KeysDialog(QDialog):
    def __init__(self, hearth: Hearth, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("API keys")
        self.resize(520, 360)
        self.hearth = hearth
        self.loading = False
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Keys live in your operating system's keyring only. Hearth shows the last "
            "four characters and never writes a key to a file."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Provider", "Key"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Stored API keys")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Keyring status")
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.set_button = QPushButton("Add or replace…")
        self.set_button.setAccessibleName("Add or replace the selected provider's key")
        self.set_button.clicked.connect(self._ask_and_set)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setAccessibleName("Delete the selected provider's key")
        self.delete_button.clicked.connect(self._delete_selected)
        row.addWidget(self.set_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.refresh()

    # -- hooks tests can replace ------------------------------------------------
    def ask_key(self, provider: str) -> str | None:
        key, ok = QInputDialog.getText(
            self, "API key", f"Key for {provider}:", QLineEdit.EchoMode.Password
        )
        return key if ok else None

    def selected_provider(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.text() if item else None

    # -- keyring work, off the GUI thread ------------------------------------------
    def refresh(self) -> None:
        self.loading = True
        self.status.setText("Reading the keyring…")
        store = self.hearth.secrets

        def read(_progress: object) -> list[StoredKey]:
            return store.list()

        run_in_background(read, self._show, self._failed)

    def _show(self, stored: list[StoredKey]) -> None:
        self.loading = False
        keys = {k.provider: k.last4 for k in stored}
        providers = sorted(set(self.hearth.settings.providers) | set(keys))
        selected = self.selected_provider()
        self.table.setRowCount(0)
        for name in providers:
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(keys.get(name, "no key")))
            if name == selected:
                self.table.setCurrentCell(row, 0)
        self.status.setText("Keyring: ready.")
        self.set_button.setEnabled(True)
        self.delete_button.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.loading = False
        self.status.setText(message)
        self.set_button.setEnabled(False)
        self.delete_button.setEnabled(False)

    def _ask_and_set(self) -> None:
        provider = self.selected_provider()
        if provider is None:
            self.status.setText("Select a provider first.")
            return
        key = self.ask_key(provider)
        if not key:
            return
        store = self.hearth.secrets
        self.loading = True
        run_in_background(
            lambda _p: store.set(provider, key), lambda _r: self.refresh(), self._failed
        )

    def _delete_selected(self) -> None:
        provider = self.selected_provider()
        if provider is None:
            return
        store = self.hearth.secrets
        self.loading = True
        run_in_background(
            lambda _p: store.delete(provider), lambda _r: self.refresh(), self._failed
        )
