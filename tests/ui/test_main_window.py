"""The desktop app driven like a person would, on the real default model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.config import Paths, load_settings, save_settings
from app.core import Hearth
from app.ui.main_window import MainWindow

LOAD_TIMEOUT_MS = 120_000
REPLY_TIMEOUT_MS = 120_000


def set_max_tokens(n: int) -> None:
    paths = Paths.from_env()
    paths.ensure()
    settings = load_settings(paths)
    settings.model.max_tokens = n
    save_settings(paths, settings)


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[object]:
    windows: list[tuple[MainWindow, Hearth]] = []

    def make() -> MainWindow:
        hearth = Hearth()
        window = MainWindow(hearth)
        qtbot.addWidget(window)
        window.show()
        windows.append((window, hearth))
        return window

    yield make
    for window, hearth in windows:
        window.shutdown()
        hearth.close()


def wait_ready(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.model_ready and not window.busy, timeout=LOAD_TIMEOUT_MS)


@pytest.mark.model
def test_first_run_prepares_the_model_with_progress(qtbot: QtBot, open_window: object) -> None:
    window = open_window()  # type: ignore[operator]
    assert not window.send_button.isEnabled()  # nothing can be sent before the model is ready
    qtbot.waitUntil(lambda: "First run" in window.banner_label.text(), timeout=LOAD_TIMEOUT_MS)
    wait_ready(qtbot, window)
    assert window.banner_progress.value() == window.banner_progress.maximum() == 1000
    assert window.banner.isHidden()
    assert "gemma-3-270m-q4_k_m" in window.status_model.text()
    assert window.send_button.isEnabled()


@pytest.mark.model
def test_chat_stream_stop_and_restart(
    qtbot: QtBot, open_window: object, prepared_home: Path
) -> None:
    set_max_tokens(400)
    window = open_window()  # type: ignore[operator]
    wait_ready(qtbot, window)

    qtbot.keyClicks(window.composer, "Count from 1 to 300: 1, 2, 3, 4, 5,")
    deltas: list[str] = []
    window.worker.delta.connect(deltas.append)
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    # the streamed text appears while the reply is still being generated
    qtbot.waitUntil(lambda: len(deltas) >= 3, timeout=REPLY_TIMEOUT_MS)
    assert window.busy and window.stop_button.isEnabled()
    assert window.composer.toPlainText() == ""
    qtbot.waitUntil(lambda: len(window.chat_view.plain_text_of_last()) > 0, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # Stop shortcut
    qtbot.waitUntil(lambda: not window.busy, timeout=REPLY_TIMEOUT_MS)
    stored = window.hearth.history.messages(window.conversation_id)[-1]
    assert stored.error == "stopped by user" and not stored.complete
    partial = stored.content
    assert partial and (stored.completion_tokens or 0) < 400
    assert len(deltas) < 400
    assert "tok/s" in window.status_stats.text() and "stopped" in window.status_stats.text()
    conversation_id = window.conversation_id
    window.close()

    # a new window over the same profile shows the stored conversation and partial reply
    again = open_window()  # type: ignore[operator]
    qtbot.waitUntil(lambda: again.started, timeout=10_000)
    assert again.conversation_ids()[0] == conversation_id
    again.conversation_list.setCurrentRow(0)
    shown = again.chat_view.messages()
    assert [m.role for m in shown] == ["user", "assistant"]
    assert shown[0].text.startswith("Count from 1 to 300")
    assert shown[1].text == partial and "incomplete" in shown[1].meta


@pytest.mark.model
def test_regenerate_rename_delete_and_search(
    qtbot: QtBot, open_window: object, prepared_home: Path
) -> None:
    set_max_tokens(12)
    window = open_window()  # type: ignore[operator]
    wait_ready(qtbot, window)
    window.composer.setPlainText("Hello there")
    window.send_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=REPLY_TIMEOUT_MS)
    conv = window.conversation_id
    first_reply_id = window.hearth.history.messages(conv)[-1].id
    window.regen_button.click()
    assert window.busy
    qtbot.waitUntil(lambda: not window.busy, timeout=REPLY_TIMEOUT_MS)
    msgs = window.hearth.history.messages(conv)
    assert [m.role for m in msgs] == ["user", "assistant"] and msgs[-1].id != first_reply_id

    window.ask_text = lambda *a: "Greetings chat"  # type: ignore[method-assign]
    window.rename_current()
    assert window.conversation_list.item(0).text() == "Greetings chat"

    window.search_box.setText("Hello")
    assert window.conversation_ids() == [conv]
    window.search_box.setText("nothing-matches-this")
    assert window.conversation_ids() == []
    window.search_box.clear()

    window.confirm = lambda *a: False  # type: ignore[method-assign]
    window.delete_current()
    assert window.conversation_ids() == [conv]
    window.confirm = lambda *a: True  # type: ignore[method-assign]
    window.delete_current()
    assert window.conversation_ids() == []
    assert window.hearth.history.list_conversations() == []


@pytest.mark.model
def test_empty_and_oversized_messages_keep_the_text(
    qtbot: QtBot, open_window: object, prepared_home: Path
) -> None:
    window = open_window()  # type: ignore[operator]
    wait_ready(qtbot, window)
    window.composer.setPlainText("   ")
    window.send_button.click()
    assert "empty message" in window.notice.text()
    huge = "lorem ipsum dolor " * 60_000  # about 1 MB
    window.composer.setPlainText(huge)
    window.send_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=REPLY_TIMEOUT_MS)
    assert window.composer.toPlainText() == huge  # nothing lost
    assert "context window" in window.notice.text()
    assert window.hearth.history.list_conversations()[0].message_count == 0


def test_accessible_names_on_controls(qtbot: QtBot, open_window: object, hearth_home: Path) -> None:
    window = open_window()  # type: ignore[operator]
    for widget in (
        window.new_button,
        window.search_box,
        window.conversation_list,
        window.model_picker,
        window.chat_view,
        window.composer,
        window.send_button,
        window.stop_button,
        window.regen_button,
    ):
        assert widget.accessibleName(), widget
    shortcuts = {a.text(): a.shortcut().toString() for a in window.actions()}
    assert shortcuts["New chat"] == "Ctrl+N" and shortcuts["Find"] == "Ctrl+F"
    assert shortcuts["Stop"] == "Esc"
    wait_ready(qtbot, window)


def test_damaged_database_shows_a_message_and_the_window_lives(
    qtbot: QtBot, open_window: object, hearth_home: Path
) -> None:
    data = hearth_home / "data"
    data.mkdir(parents=True)
    (data / "hearth.db").write_bytes(b"not a database" * 500)
    window = open_window()  # type: ignore[operator]
    qtbot.waitUntil(lambda: window.started, timeout=10_000)
    assert "damaged" in window.notice.text()
    assert window.isVisible() and window.conversation_ids() == []
    qtbot.waitUntil(lambda: not window.busy, timeout=LOAD_TIMEOUT_MS)


def test_network_mode_switch_is_visible_saved_and_enforced(
    qtbot: QtBot, open_window: object, hearth_home: Path
) -> None:
    from app.privacy.network import current_policy, enforce

    enforce("offline")
    window = open_window()  # type: ignore[operator]
    picker = window.network_picker
    assert picker.currentData() == "offline" and "bold" in picker.styleSheet()
    picker.setCurrentIndex(picker.findData("lan"))
    picker.activated.emit(picker.currentIndex())
    assert load_settings(Paths.from_env()).network.mode == "lan"
    policy = current_policy()
    assert policy is not None and policy.mode == "lan" and policy.allow("192.168.0.9", 80)
    picker.setCurrentIndex(picker.findData("offline"))
    picker.activated.emit(picker.currentIndex())
    assert policy.mode == "offline" and not policy.allow("192.168.0.9", 80)
    qtbot.waitUntil(lambda: window.started and not window.busy, timeout=LOAD_TIMEOUT_MS)
