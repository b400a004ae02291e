"""The main window's model picker and its Tools menu dialogs.

A mixin of :class:`app.ui.main_window.MainWindow`, which owns the widgets named below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFrame, QLabel, QProgressBar

from app.catalog.default_model import DEFAULT_MODEL_NAME
from app.core import Hearth
from app.errors import HearthError
from app.ui.background import run_in_background
from app.ui.window_part import WindowPart

if TYPE_CHECKING:
    from app.ui.cloud_flow import CloudFlow


class ModelsMixin(WindowPart):
    hearth: Hearth
    model_picker: QComboBox
    banner: QFrame
    banner_label: QLabel
    banner_progress: QProgressBar
    status_model: QLabel
    cloud: CloudFlow
    busy: bool
    n_ctx: int
    remote_models: list[str]
    requestLoad: Any  # noqa: N815  the window's Signal(str)

    def _set_ready(self, ready: bool) -> None:
        raise NotImplementedError

    def warm_up_privacy(self) -> None:
        raise NotImplementedError

    # -- Tools menu -----------------------------------------------------------------
    def _show_tool(self, dialog: QDialog) -> QDialog:
        """A Tools dialog: non-modal, deleted when closed."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_settings(self) -> QDialog:
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.hearth, self._widget())
        dialog.applied.connect(self._settings_applied)
        return self._show_tool(dialog)

    def _settings_applied(self, keys: list[str]) -> None:
        if any(k.startswith(("engines.", "network.")) for k in keys):
            self._models_changed()  # Ollama's or the server's models may come or go
        if any(k.startswith("privacy.") for k in keys):
            self.warm_up_privacy()  # a filter with the new lists, loaded in the background
        if "costs.compare_model" in keys:
            self.cloud.fill_targets()

    def open_keys(self) -> QDialog:
        from app.ui.keys_dialog import KeysDialog

        dialog = KeysDialog(self.hearth, self._widget())
        dialog.providersChanged.connect(self.cloud.fill_targets)
        self.cloud.fill_targets()
        return self._show_tool(dialog)

    def open_models(self) -> QDialog:
        from app.ui.models_dialog import ModelsDialog

        dialog = ModelsDialog(self.hearth, self._widget())
        dialog.finished.connect(self._models_changed)
        return self._show_tool(dialog)

    def open_dashboard(self) -> QDialog:
        from app.ui.dashboard import Dashboard

        return self._show_tool(Dashboard(self.hearth, self._widget()))

    def open_audit(self) -> QDialog:
        from app.ui.audit_dialog import AuditDialog

        return self._show_tool(AuditDialog(self.hearth, self._widget()))

    # -- models ---------------------------------------------------------------
    def _refresh_models(self) -> None:
        current = self.model_picker.currentData()
        self.model_picker.clear()
        default = self.hearth.settings.model.default or DEFAULT_MODEL_NAME
        try:
            names = [e.name for e in self.hearth.models.list()]
        except HearthError as exc:
            self.show_notice(exc.user_text())
            names = []
        if default not in names:
            names.insert(0, default)
        for name in names:
            self.model_picker.addItem(name, name)
        for remote in self.remote_models:  # Ollama's and the self-hosted server's
            kind, _, model = remote.partition(":")
            label = "Ollama" if kind == "ollama" else "your server"
            self.model_picker.addItem(f"{model} ({label})", remote)
        index = self.model_picker.findData(current if current else default)
        if index < 0:
            index = self.model_picker.findData(default)
        self.model_picker.setCurrentIndex(max(0, index))

    def _models_changed(self, _result: int = 0) -> None:
        self._refresh_models()
        self.fetch_remote_models()

    def fetch_remote_models(self) -> None:
        """List Ollama's and the server's models in the background (when turned on)."""
        engines = self.hearth.settings.engines
        if not (engines.ollama.enabled or engines.server.enabled):
            return
        hearth = self.hearth

        def done(names: list[str]) -> None:
            self.remote_models = names
            self._refresh_models()

        run_in_background(lambda _p: hearth.remote_models(), done, self.show_notice)

    def _on_model_picked(self, _index: int) -> None:
        name = self.model_picker.currentData()
        if name and not self.busy:
            self._set_ready(False)
            self.requestLoad.emit(name)

    def _on_progress(self, done: int, total: int) -> None:
        self.banner.show()
        self.banner_label.setText(
            "First run: preparing the embedded default model (about 250 MB, offline)…"
        )
        self.banner_progress.setRange(0, 1000)
        self.banner_progress.setValue(int(done * 1000 / total) if total else 0)

    def _on_model_loading(self, name: str) -> None:
        self.banner.show()
        self.banner_label.setText(f"Loading {name}…")
        self.banner_progress.setRange(0, 0)
        self.status_model.setText(f"Loading {name}…")

    def _on_model_ready(self, name: str, n_ctx: int, template: bool) -> None:
        self.banner.hide()
        fmt = "chat template" if template else "plain transcript prompt"
        self.status_model.setText(f"{name} · {n_ctx} ctx · {fmt}")
        self.n_ctx = n_ctx
        self._refresh_models()
        index = self.model_picker.findData(name)
        if index >= 0:
            self.model_picker.setCurrentIndex(index)
        self._set_ready(True)
