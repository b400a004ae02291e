"""Tools → Settings: all values saved or none, to the real settings file, and applied live."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.config import Paths, load_settings
from app.core import Hearth
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog

TIMEOUT_MS = 120_000


def type_in(dialog: SettingsDialog, key: str, value: str) -> None:
    field = dialog.fields[key]
    if isinstance(field, QPlainTextEdit):
        field.setPlainText(value)
    else:
        assert isinstance(field, QLineEdit), key
        field.setText(value)


def test_settings_are_saved_all_or_nothing_and_take_effect(
    qtbot: QtBot, prepared_home: Path
) -> None:
    from app.privacy.network import current_policy, enforce
    from tests.servers.ollama import ollama_server

    enforce("offline")
    with ollama_server() as server:
        hearth = Hearth()
        window = MainWindow(hearth)
        qtbot.addWidget(window)
        window.show()
        try:
            qtbot.waitUntil(lambda: window.model_ready and not window.busy, timeout=TIMEOUT_MS)
            dialog = window.open_settings()
            assert isinstance(dialog, SettingsDialog) and dialog.changes() == {}
            f = dialog.fields
            enabled = f["engines.ollama.enabled"]
            assert isinstance(enabled, QCheckBox)
            enabled.setChecked(True)
            type_in(dialog, "engines.ollama.base_url", server.url)
            type_in(dialog, "network.trusted_hosts", "gpu-box.lan, 203.0.113.7")
            type_in(dialog, "network.request_timeout_s", "soon")
            type_in(dialog, "costs.monthly_budget_usd", "-5")
            type_in(dialog, "model.system_prompt", "Line one.\nLine two.")

            # Two bad values: a clear message for each, and nothing saved or applied.
            dialog.save()
            assert dialog.isVisible() and "Nothing was saved" in dialog.errors.text()
            assert "Seconds to wait for a remote server" in dialog.errors.text()
            assert "Monthly cloud budget" in dialog.errors.text()
            assert "#c01c28" in f["costs.monthly_budget_usd"].styleSheet()  # marked
            assert f["model.max_tokens"].styleSheet() == ""
            on_disk = load_settings(Paths.from_env())
            assert not on_disk.engines.ollama.enabled and on_disk.costs.monthly_budget_usd == 0
            assert not hearth.settings.engines.ollama.enabled
            assert hearth.settings.network.trusted_hosts == []
            policy = current_policy()
            assert policy is not None and policy.trusted_hosts == set()

            # Fixed: everything is saved, and takes effect without a restart.
            type_in(dialog, "network.request_timeout_s", "30")
            type_in(dialog, "costs.monthly_budget_usd", "25")
            dialog.save()
            assert not dialog.isVisible()
            on_disk = load_settings(Paths.from_env())
            assert on_disk.engines.ollama.enabled and on_disk.engines.ollama.base_url == server.url
            assert (
                on_disk.network.request_timeout_s == 30 and on_disk.costs.monthly_budget_usd == 25
            )
            assert on_disk.network.trusted_hosts == ["gpu-box.lan", "203.0.113.7"]
            assert on_disk.model.system_prompt == "Line one.\nLine two."  # newlines kept
            assert policy.trusted_hosts == {"gpu-box.lan", "203.0.113.7"}
            assert policy.allow("gpu-box.lan", 80) is False  # still offline: loopback only
            picker = window.model_picker
            qtbot.waitUntil(lambda: picker.findData("ollama:tiny:latest") >= 0, timeout=TIMEOUT_MS)

            # Opening it again shows the saved values and changes nothing by itself.
            again = window.open_settings()
            assert isinstance(again, SettingsDialog) and again.changes() == {}
            prompt = again.fields["model.system_prompt"]
            assert isinstance(prompt, QPlainTextEdit)
            assert prompt.toPlainText() == "Line one.\nLine two."
            again.reject()
        finally:
            window.shutdown()
            hearth.close()
            enforce("offline")
