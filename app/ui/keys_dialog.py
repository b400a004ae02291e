"""API keys and providers: keys live in the OS keyring (never shown, never on disk);
a provider's address (a proxy, a gateway, a custom OpenAI- or Anthropic-compatible
service) is a setting.

Every keyring call runs in the background: a locked keyring may prompt, and
a Secret Service call can take a while.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
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

from app.config import KNOWN_PROVIDERS
from app.core import Hearth
from app.secrets import StoredKey
from app.ui.background import run_in_background


class KeysDialog(QDialog):
    providersChanged = Signal()  # noqa: N815 (Qt signal naming)

    def __init__(self, hearth: Hearth, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("API keys")
        self.resize(760, 380)
        self.hearth = hearth
        self.loading = False
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Keys live in your operating system's keyring only. Hearth shows the last "
            "four characters and never writes a key to a file."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Provider", "Key", "Address"])
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
        self.add_provider_button = QPushButton("Add provider…")
        self.add_provider_button.setAccessibleName("Add a custom provider: address, then key")
        self.add_provider_button.clicked.connect(self._add_provider)
        self.address_button = QPushButton("Change address…")
        self.address_button.setAccessibleName("Change the selected provider's address")
        self.address_button.clicked.connect(self._change_address)
        row.addWidget(self.set_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        row.addWidget(self.add_provider_button)
        row.addWidget(self.address_button)
        layout.addLayout(row)
        self.refresh()

    # -- hooks tests can replace ------------------------------------------------
    def ask_key(self, provider: str) -> str | None:
        key, ok = QInputDialog.getText(
            self, "API key", f"Key for {provider}:", QLineEdit.EchoMode.Password
        )
        return key if ok else None

    def ask_provider(self) -> tuple[str, str, str] | None:
        """(name, base URL, wire protocol) of a new provider, or None if cancelled."""
        name, ok = QInputDialog.getText(
            self, "Add provider", "Name (lower-case letters, digits, '-' and '_'):"
        )
        if not ok or not name.strip():
            return None
        url, ok = QInputDialog.getText(
            self, "Add provider", f"API base URL of {name} (e.g. https://gateway.example/v1):"
        )
        if not ok:
            return None
        kind, ok = QInputDialog.getItem(
            self, "Add provider", "It speaks the API of:", ["openai", "anthropic"], 0, False
        )
        return (name.strip(), url.strip(), kind) if ok else None

    def ask_address(self, provider: str, current: str) -> str | None:
        empty = "the default" if provider in KNOWN_PROVIDERS else "remove the provider"
        url, ok = QInputDialog.getText(
            self,
            "Provider address",
            f"API base URL of {provider} (empty: {empty}):",
            QLineEdit.EchoMode.Normal,
            current,
        )
        return url.strip() if ok else None

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
            provider = self.hearth.settings.providers.get(name)
            address = provider.base_url if provider else "—"
            self.table.setItem(row, 2, QTableWidgetItem(address))
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
        self._set_key(provider)

    def _set_key(self, provider: str) -> None:
        """Ask for the key and store it; the table is read again either way."""
        key = self.ask_key(provider)
        if not key:
            self.refresh()
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

    # -- providers (settings, not secrets) --------------------------------------------
    def _add_provider(self) -> None:
        answer = self.ask_provider()
        if answer is None:
            return
        name, url, kind = answer
        if name in self.hearth.settings.providers:
            self.status.setText(f"{name} exists already: select it and change its address.")
            return
        errors = self.hearth.apply_settings(
            {f"providers.{name}.base_url": url, f"providers.{name}.kind": kind}
        )
        if errors:
            self.status.setText(" ".join(errors.values()))
            return
        self.providersChanged.emit()
        self._set_key(name)

    def _change_address(self) -> None:
        provider = self.selected_provider()
        if provider is None:
            self.status.setText("Select a provider first.")
            return
        current = self.hearth.settings.providers.get(provider)
        if current is None and provider == "server":
            self.status.setText(
                "That key belongs to your self-hosted server: its address is in "
                "Tools → Settings → Your servers."
            )
            return
        url = self.ask_address(provider, current.base_url if current else "")
        if url is None:
            return
        errors = self.hearth.apply_settings({f"providers.{provider}.base_url": url})
        if errors:
            self.status.setText(" ".join(errors.values()))
            return
        self.providersChanged.emit()
        self.refresh()
