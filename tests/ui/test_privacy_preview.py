"""The privacy preview in the desktop app, on the real Presidio pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from app.core import Hearth
from app.ui.main_window import MainWindow
from app.ui.privacy_preview import PrivacyPreview, Utf16Offsets

TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot: QtBot, prepared_home: Path) -> Iterator[MainWindow]:
    hearth = Hearth()
    win = MainWindow(hearth)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.privacy_state == "ready", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: win.model_ready and not win.busy, timeout=TIMEOUT_MS)
    yield win
    win.shutdown()
    hearth.close()


def open_preview(
    qtbot: QtBot, window: MainWindow, text: str, *, shortcut: bool = False
) -> PrivacyPreview:
    window.composer.setPlainText(text)
    before = window.last_preview
    if shortcut:
        keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(window, Qt.Key.Key_P, keys)
    else:
        window.preview_button.click()
    dialog = window.last_preview
    assert dialog is not None and dialog is not before
    qtbot.waitUntil(lambda: dialog.analysis_done, timeout=TIMEOUT_MS)
    return dialog


def test_warm_up_shows_the_filter_ready(window: MainWindow) -> None:
    assert window.status_privacy.text() == "Privacy filter: ready"


def test_preview_highlights_and_applies_corrections(qtbot: QtBot, window: MainWindow) -> None:
    text = "Ask Maria Garcia 👋 to mail maria.garcia@gmail.com about Project Falcon."
    dialog = open_preview(qtbot, window, text, shortcut=True)
    types = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]
    assert "PERSON" in types and "EMAIL_ADDRESS" in types
    sent = dialog.output.toPlainText()
    assert "maria.garcia@gmail.com" not in sent and "<EMAIL_ADDRESS_1>" in sent
    # the e-mail is highlighted at its place, although an emoji sits before it (UTF-16)
    email_at = Utf16Offsets(text).to_qt(text.index("maria.garcia@gmail.com"))
    marks = {
        (sel.cursor.selectionStart(), sel.cursor.selectedText()): sel.format.background()
        for sel in dialog.source.extraSelections()
    }
    assert marks[(email_at, "maria.garcia@gmail.com")].color().name() == "#c0d8f9"

    # untick the person: it goes out as typed, for this message only
    person_row = types.index("PERSON")
    dialog.table.item(person_row, 0).setCheckState(Qt.CheckState.Unchecked)
    assert "Maria Garcia" in dialog.output.toPlainText()

    # mark "Project Falcon" by selecting it
    start = text.index("Project Falcon")
    offsets = Utf16Offsets(text)
    cursor = dialog.source.textCursor()
    cursor.setPosition(offsets.to_qt(start))
    cursor.setPosition(
        offsets.to_qt(start + len("Project Falcon")), QTextCursor.MoveMode.KeepAnchor
    )
    dialog.source.setTextCursor(cursor)
    dialog.mark_button.click()
    sent = dialog.output.toPlainText()
    assert "Project Falcon" not in sent and "<CUSTOM_1>" in sent
    assert sent.startswith("Ask Maria Garcia 👋 to mail <EMAIL_ADDRESS_1>")

    # a new preview starts from the filter's findings again
    dialog.close()
    again = open_preview(qtbot, window, text)
    assert "Maria Garcia" not in again.output.toPlainText()
    again.close()


def test_a_one_megabyte_paste_shows_progress_and_keeps_the_window_alive(
    qtbot: QtBot, window: MainWindow
) -> None:
    text = ("Notes from the call with Dana Scully, dana@fbi.gov. " * 20_000)[:1_000_000]
    window.composer.setPlainText(text)
    ticks: list[int] = []
    beat = QTimer()
    beat.setInterval(20)
    beat.timeout.connect(lambda: ticks.append(1))
    beat.start()
    progress_seen: set[int] = set()
    dialog = window.open_privacy_preview()
    assert dialog is not None
    dialog.progress.valueChanged.connect(progress_seen.add)
    qtbot.waitUntil(lambda: dialog.analysis_done, timeout=600_000)
    beat.stop()
    assert dialog.error is None
    assert dialog.progress.value() == dialog.progress.maximum()
    assert len(progress_seen) >= 5  # progress moved in steps while the work ran
    assert len(ticks) >= 20  # the event loop kept running throughout
    assert "dana@fbi.gov" not in dialog.output.toPlainText()
    dialog.close()


def test_filter_failure_is_shown_and_nothing_is_offered(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from app.privacy.redactor import Redactor

    broken = Redactor()
    monkeypatch.setattr("app.privacy.redactor.SPACY_PACKAGE", "missing_model")
    monkeypatch.setattr(window, "redactor", lambda: broken)
    dialog = open_preview(qtbot, window, "John Smith")
    assert dialog.error and "nothing can be sent" in dialog.error
    assert "Nothing can be sent" in dialog.output.toPlainText()
    caplog.clear()
    dialog.close()


def test_preview_keeps_the_conversations_placeholders(qtbot: QtBot, window: MainWindow) -> None:
    history = window.hearth.history
    conv = history.create_conversation()
    history.save_vault_entries(conv.id, [("<PERSON_1>", "PERSON", "John Smith")])
    window.conversation_id = conv.id
    dialog = open_preview(qtbot, window, "I met Maria Garcia and John Smith yesterday.")
    sent = dialog.output.toPlainText()
    assert sent == "I met <PERSON_2> and <PERSON_1> yesterday."  # John keeps his number
    assert history.vault_entries(conv.id) == [("<PERSON_1>", "PERSON", "John Smith")]
    dialog.close()
