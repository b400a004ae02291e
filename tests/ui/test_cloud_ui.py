"""Ask cloud in the desktop app: consent dialog, badge, audit, keys — real keyring and SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.config import Paths, load_settings, save_settings
from app.core import Hearth
from app.secrets import SecretStore
from app.ui.consent_dialog import ConsentDialog
from app.ui.main_window import MainWindow
from tests.integration.test_keys import keyring_service  # noqa: F401
from tests.servers.cloud import CloudServer, cloud_server

KEY = "sk-proj-GUITEST-" + "g" * 20 + "4hJk"
MESSAGE = "Draft a reply to Alice Johnson (alice.johnson@example.com) about Friday."
TIMEOUT_MS = 120_000


@pytest.fixture
def server(keyring_service: str, prepared_home: Path) -> Iterator[CloudServer]:  # noqa: F811
    with cloud_server("openai", expected_key=KEY) as srv:
        SecretStore().set("openai", KEY)
        paths = Paths.from_env()
        paths.ensure()
        settings = load_settings(paths)
        settings.set("providers.openai.base_url", srv.base_url)
        settings.set("network.mode", "cloud")
        settings.set("network.request_timeout_s", "2")
        save_settings(paths, settings)
        yield srv


@pytest.fixture
def window(qtbot: QtBot, server: CloudServer) -> Iterator[MainWindow]:
    from app.privacy.network import enforce

    hearth = Hearth()
    enforce("cloud")
    win = MainWindow(hearth)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.privacy_state == "ready", timeout=TIMEOUT_MS)
    # The default model is loaded (busy=False arrives after modelReady), so Send is enabled.
    qtbot.waitUntil(lambda: win.model_ready and not win.busy, timeout=TIMEOUT_MS)
    yield win
    if win.cloud.dialog is not None:
        win.cloud.dialog.reject()
    win.shutdown()
    hearth.close()
    enforce("offline")


def ask(qtbot: QtBot, window: MainWindow, text: str) -> ConsentDialog:
    window.composer.setPlainText(text)
    window.cloud.target.setCurrentText("openai:gpt-4.1-mini")
    window.cloud.button.click()
    qtbot.waitUntil(lambda: window.cloud.dialog is not None, timeout=TIMEOUT_MS)
    dialog = window.cloud.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_ask_cloud_shows_the_payload_then_sends_only_on_consent(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    dialog = ask(qtbot, window, MESSAGE)
    payload = dialog.payload.toPlainText()
    assert "<PERSON_1>" in payload and "<EMAIL_ADDRESS_1>" in payload
    assert "Alice" not in payload and "alice.johnson@" not in payload
    assert "127.0.0.1" in dialog.destination.text() and "gpt-4.1-mini" in dialog.destination.text()
    assert "PERSON ×1" in dialog.redacted.text() and "$" in dialog.cost.text()
    dialog.show_originals.setChecked(True)
    assert dialog.originals.isVisible() and dialog.originals.rowCount() == 2
    assert server.received == []  # nothing leaves before consent
    dialog.send_button.click()
    qtbot.waitUntil(lambda: not window.busy and window.cloud.dialog is None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(window.chat_view.messages()[-1].meta), timeout=TIMEOUT_MS)
    assert len(server.chats) == 1 and "Alice" not in server.chats[0].body.decode()
    last = window.chat_view.messages()[-1]
    assert last.cloud and "Alice Johnson" in last.text
    assert "Cloud reply" in last.meta and "$" in last.meta
    assert window.composer.toPlainText() == ""
    # Consent is never remembered: the next message asks again.
    again = ask(qtbot, window, "And one more thing.")
    assert again is not dialog and len(server.chats) == 1
    again.reject()
    # The audit dialog lists the request.
    audit = window.open_audit()
    qtbot.waitUntil(lambda: audit.loaded, timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    assert audit.table.rowCount() == 1  # type: ignore[attr-defined]
    audit.close()


def test_switching_offline_while_the_dialog_is_open_sends_nothing(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    dialog = ask(qtbot, window, MESSAGE)
    picker = window.network_picker
    picker.setCurrentIndex(picker.findData("offline"))
    picker.activated.emit(picker.currentIndex())
    assert not dialog.send_button.isEnabled() and "offline" in dialog.warning.text()
    # Even a consent that reaches the worker is re-checked there.
    window.cloud._approved(dialog.plan)
    qtbot.waitUntil(lambda: not window.busy, timeout=TIMEOUT_MS)
    assert "network mode is offline" in window.notice.text()
    assert server.received == []
    assert window.composer.toPlainText() == MESSAGE  # the text is kept


def test_a_sensitive_message_is_refused_before_any_dialog(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    window.composer.setPlainText("My SSN is 536-90-4399, fill in the form for me.")
    window.cloud.button.click()
    qtbot.waitUntil(lambda: "always stay local" in window.notice.text(), timeout=TIMEOUT_MS)
    assert window.cloud.dialog is None and server.received == []


def test_a_server_error_keeps_the_message_and_retry_is_one_approval(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    server.fault = "500"
    ask(qtbot, window, MESSAGE).send_button.click()
    qtbot.waitUntil(lambda: "server error" in window.notice.text(), timeout=TIMEOUT_MS)
    assert "Your message is kept" in window.notice.text()
    assert window.chat_view.messages()[0].text == MESSAGE
    server.fault = None
    window.composer.clear()
    window.cloud.button.click()  # empty box: answer the kept message again
    qtbot.waitUntil(lambda: window.cloud.dialog is not None, timeout=TIMEOUT_MS)
    dialog = window.cloud.dialog
    assert dialog is not None and dialog.plan.retry
    dialog.send_button.click()
    qtbot.waitUntil(lambda: not window.busy and len(server.chats) == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.chat_view.messages()[-1].cloud, timeout=TIMEOUT_MS)
    msgs = window.hearth.history.messages(window.conversation_id)  # type: ignore[arg-type]
    assert [m.role for m in msgs] == ["user", "assistant"] and msgs[1].complete


def test_keys_dialog_sets_replaces_and_deletes_off_the_gui_thread(
    qtbot: QtBot, window: MainWindow, hearth_home: Path
) -> None:
    from app.ui.keys_dialog import KeysDialog

    dialog = window.open_keys()
    assert isinstance(dialog, KeysDialog)
    qtbot.waitUntil(lambda: not dialog.loading, timeout=TIMEOUT_MS)
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())}  # fmt: skip
    assert rows["openai"] == "…" + KEY[-4:] and rows["anthropic"] == "no key"
    new_key = "sk-ant-NEWKEY-" + "n" * 20 + "Zz88"
    dialog.ask_key = lambda provider: new_key  # type: ignore[method-assign]
    dialog.table.setCurrentCell(0, 0)  # anthropic
    dialog.set_button.click()
    qtbot.waitUntil(lambda: dialog.table.item(0, 1).text() == "…Zz88", timeout=TIMEOUT_MS)
    assert SecretStore().get("anthropic") == new_key
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: dialog.table.item(0, 1).text() == "no key", timeout=TIMEOUT_MS)
    assert SecretStore().get("anthropic") is None
    on_disk = b"".join(p.read_bytes() for p in hearth_home.rglob("*") if p.is_file())
    assert new_key.encode() not in on_disk and KEY.encode() not in on_disk
    dialog.close()


def test_a_refused_sensitive_message_goes_local_with_its_reason_stored(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    from app.config import Paths

    text = "I was diagnosed with diabetes. What should I eat?"
    window.hearth.settings.set("model.max_tokens", "8")
    window.composer.setPlainText(text)
    window.cloud.button.click()
    qtbot.waitUntil(lambda: "always stay local" in window.notice.text(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.model_ready and not window.busy, timeout=TIMEOUT_MS)
    window.send_button.click()
    qtbot.waitUntil(lambda: not window.busy and window.conversation_id is not None,
                    timeout=TIMEOUT_MS)  # fmt: skip
    qtbot.waitUntil(lambda: bool(window.chat_view.messages()[-1].meta), timeout=TIMEOUT_MS)
    reply = window.hearth.history.messages(window.conversation_id)[-1]  # type: ignore[arg-type]
    assert reply.engine == "local" and reply.route is not None
    assert "MEDICAL" in reply.route and "always stay local" in reply.route
    assert "always stay local" in window.chat_view.messages()[-1].meta
    assert server.received == [] and Paths.from_env().database_file.exists()


def test_a_chat_with_a_cloud_default_asks_consent_on_enter(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    ask(qtbot, window, MESSAGE).send_button.click()
    qtbot.waitUntil(lambda: not window.busy and len(server.chats) == 1, timeout=TIMEOUT_MS)
    window.cloud.target.setCurrentText("openai:gpt-4.1-mini")
    window.ask_choice = lambda title, label, items: items[1]  # type: ignore[method-assign]
    window.choose_default_engine()
    assert "openai:gpt-4.1-mini" in window.status_engine.text()
    window.composer.setPlainText("A follow-up question.")
    window.send_button.click()  # routes to the cloud flow: a consent dialog, nothing sent yet
    qtbot.waitUntil(lambda: window.cloud.dialog is not None, timeout=TIMEOUT_MS)
    assert len(server.chats) == 1
    window.cloud.dialog.reject()  # type: ignore[union-attr]
    assert window.composer.toPlainText() == "A follow-up question."  # kept


def test_privacy_preview_corrections_and_earlier_turns_reach_the_payload(
    qtbot: QtBot, window: MainWindow, server: CloudServer
) -> None:
    from PySide6.QtCore import Qt

    first = ask(qtbot, window, "Book a table for Bob Stone on Friday.")
    first.send_button.click()
    qtbot.waitUntil(lambda: not window.busy and len(server.chats) == 1, timeout=TIMEOUT_MS)
    # The preview: the user un-redacts the person (a public figure, say) for this message.
    window.composer.setPlainText(MESSAGE)
    preview = window.open_privacy_preview()
    assert preview is not None
    qtbot.waitUntil(lambda: preview.analysis_done, timeout=TIMEOUT_MS)
    types = [preview.table.item(r, 1).text() for r in range(preview.table.rowCount())]
    preview.table.item(types.index("PERSON"), 0).setCheckState(Qt.CheckState.Unchecked)
    preview.close()
    dialog = ask(qtbot, window, MESSAGE)
    payload = dialog.payload.toPlainText()
    assert "Alice Johnson" in payload and "<EMAIL_ADDRESS_1>" in payload
    assert "PERSON" not in dialog.redacted.text()
    assert "Bob Stone" not in payload and "Book a table" not in payload  # only this message
    # Include earlier turns: re-planned in the background, still redacted.
    dialog.include_context.setChecked(True)
    qtbot.waitUntil(lambda: dialog.plan.include_context and dialog.send_button.isEnabled(),
                    timeout=TIMEOUT_MS)  # fmt: skip
    payload = dialog.payload.toPlainText()
    assert "Book a table for <PERSON_1>" in payload and "Bob Stone" not in payload
    dialog.send_button.click()
    qtbot.waitUntil(lambda: not window.busy and len(server.chats) == 2, timeout=TIMEOUT_MS)
    sent = server.chats[1].json["messages"]
    assert sum(1 for m in sent if m["role"] == "user") == 2
    assert "Alice Johnson" in sent[-1]["content"]  # the user's choice, for this message
    assert window.cloud.corrections is None  # used up


def test_a_custom_provider_is_added_with_its_address_and_key_and_used(
    qtbot: QtBot, window: MainWindow, server: CloudServer, hearth_home: Path
) -> None:
    from app.ui.keys_dialog import KeysDialog

    dialog = window.open_keys()
    assert isinstance(dialog, KeysDialog)
    qtbot.waitUntil(lambda: not dialog.loading, timeout=TIMEOUT_MS)

    def rows() -> dict[str, tuple[str, str]]:
        t = dialog.table
        return {t.item(r, 0).text(): (t.item(r, 1).text(), t.item(r, 2).text())
                for r in range(t.rowCount())}  # fmt: skip

    # A bad address: a clear message, nothing saved.
    dialog.ask_provider = lambda: ("mygateway", "gateway.example", "openai")  # type: ignore[method-assign]
    dialog.add_provider_button.click()
    assert "http://" in dialog.status.text() and "mygateway" not in rows()
    assert "mygateway" not in load_settings(Paths.from_env()).providers
    # A gateway in front of the (loopback) OpenAI-compatible server, with its own key entry.
    dialog.ask_provider = lambda: ("mygateway", server.base_url, "openai")  # type: ignore[method-assign]
    dialog.ask_key = lambda provider: KEY  # type: ignore[method-assign]
    dialog.add_provider_button.click()
    qtbot.waitUntil(lambda: rows().get("mygateway", ("", ""))[0] == "…" + KEY[-4:],
                    timeout=TIMEOUT_MS)  # fmt: skip
    assert rows()["mygateway"][1] == server.base_url
    assert load_settings(Paths.from_env()).providers["mygateway"].base_url == server.base_url
    assert SecretStore().get("mygateway") == KEY
    dialog.close()
    # Ask cloud through it: one consent, the request goes to the gateway's address.
    window.composer.setPlainText(MESSAGE)
    window.cloud.target.setCurrentText("mygateway:gpt-4.1-mini")
    window.cloud.button.click()
    qtbot.waitUntil(lambda: window.cloud.dialog is not None, timeout=TIMEOUT_MS)
    consent = window.cloud.dialog
    assert consent is not None and "127.0.0.1" in consent.destination.text()
    consent.send_button.click()
    qtbot.waitUntil(lambda: not window.busy and len(server.chats) == 1, timeout=TIMEOUT_MS)
    assert "Alice" not in server.chats[0].body.decode()
    # An empty address removes a custom provider; its key stays until deleted.
    again = window.open_keys()
    assert isinstance(again, KeysDialog)
    qtbot.waitUntil(lambda: not again.loading, timeout=TIMEOUT_MS)
    names = [again.table.item(r, 0).text() for r in range(again.table.rowCount())]
    again.table.setCurrentCell(names.index("mygateway"), 0)
    again.ask_address = lambda provider, current: ""  # type: ignore[method-assign]
    again.address_button.click()
    qtbot.waitUntil(lambda: not again.loading, timeout=TIMEOUT_MS)
    assert "mygateway" not in load_settings(Paths.from_env()).providers
    t = again.table
    shown = {t.item(r, 0).text(): t.item(r, 2).text() for r in range(t.rowCount())}
    assert shown["mygateway"] == "—"
    again.close()
