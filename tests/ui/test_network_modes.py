"""The whole desktop app in each network mode: local chat, privacy preview, settings —
and not one connection attempt of Hearth's own (no telemetry, update checks, downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.config import Paths, load_settings, save_settings
from app.core import Hearth
from app.privacy.offline import ConnectionGuard
from app.ui.main_window import MainWindow

TIMEOUT_MS = 120_000


@pytest.mark.model
@pytest.mark.parametrize("mode", ["offline", "lan", "cloud"])
def test_the_app_opens_no_connection_in_any_mode(
    qtbot: QtBot, prepared_home: Path, mode: str
) -> None:
    from app.privacy.network import enforce

    paths = Paths.from_env()
    paths.ensure()
    settings = load_settings(paths)
    settings.set("network.mode", mode)
    settings.set("model.max_tokens", "8")
    save_settings(paths, settings)
    with ConnectionGuard(allow=lambda host, port: False) as guard:
        hearth = Hearth()
        enforce(mode)
        window = MainWindow(hearth)
        qtbot.addWidget(window)
        window.show()
        try:
            qtbot.waitUntil(lambda: window.model_ready and not window.busy, timeout=TIMEOUT_MS)
            qtbot.waitUntil(lambda: window.privacy_state == "ready", timeout=TIMEOUT_MS)
            assert window.network_picker.currentData() == mode
            window.composer.setPlainText("Say hello to Alice Smith.")
            preview = window.open_privacy_preview()
            assert preview is not None
            qtbot.waitUntil(lambda: preview.analysis_done, timeout=TIMEOUT_MS)
            preview.close()
            window.send_button.click()
            qtbot.waitUntil(lambda: not window.busy, timeout=TIMEOUT_MS)
            qtbot.waitUntil(lambda: bool(window.chat_view.messages()[-1].meta), timeout=TIMEOUT_MS)
            audit = window.open_audit()
            qtbot.waitUntil(lambda: audit.loaded, timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
            audit.close()
        finally:
            window.shutdown()
            hearth.close()
            enforce("offline")
    assert guard.attempts == [], (mode, guard.attempts)


def test_ollama_models_are_offered_and_chat_in_the_window(
    qtbot: QtBot, prepared_home: Path
) -> None:
    from tests.servers.ollama import ollama_server

    with ollama_server() as server:
        paths = Paths.from_env()
        paths.ensure()
        settings = load_settings(paths)
        settings.set("engines.ollama.enabled", "true")
        settings.set("engines.ollama.base_url", server.url)
        save_settings(paths, settings)
        hearth = Hearth()
        window = MainWindow(hearth)
        qtbot.addWidget(window)
        window.show()
        try:
            picker = window.model_picker
            qtbot.waitUntil(lambda: picker.findData("ollama:tiny:latest") >= 0, timeout=TIMEOUT_MS)
            assert picker.itemText(picker.findData("ollama:tiny:latest")) == "tiny:latest (Ollama)"
            qtbot.waitUntil(lambda: window.model_ready and not window.busy, timeout=TIMEOUT_MS)
            picker.setCurrentIndex(picker.findData("ollama:tiny:latest"))
            picker.activated.emit(picker.currentIndex())
            qtbot.waitUntil(
                lambda: (
                    window.model_ready
                    and not window.busy  # the worker's busy=False follows modelReady
                    and "ollama:tiny" in window.status_model.text()
                ),
                timeout=TIMEOUT_MS,
            )
            window.composer.setPlainText("Hello?")
            assert window.send_button.isEnabled()
            window.send_button.click()
            qtbot.waitUntil(
                lambda: (
                    not window.busy
                    and bool(window.chat_view.messages())
                    and bool(window.chat_view.messages()[-1].meta)
                ),
                timeout=TIMEOUT_MS,
            )
            reply = window.hearth.history.messages(window.conversation_id)[-1]  # type: ignore[arg-type]
            assert reply.engine == "ollama" and reply.content.startswith("Hello from the loopback")
        finally:
            window.shutdown()
            hearth.close()
