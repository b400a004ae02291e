"""The "Ask cloud" flow of the main window: pick a target, plan, consent, send.

Planning (Presidio analysis, the keyring lookup) runs in the background; the
consent dialog shows the plan; an approved plan goes to the model worker's
thread, where :meth:`app.chat.cloud.CloudService.send` checks it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QPushButton

from app.errors import HearthError
from app.ui.background import run_in_background
from app.ui.consent_dialog import ConsentDialog

if TYPE_CHECKING:
    from app.chat.cloud import CloudPlan
    from app.privacy.redactor import Entity
    from app.ui.main_window import MainWindow


def cloud_targets(window: MainWindow) -> list[str]:
    """provider:model for every priced model of a configured provider."""
    settings = window.hearth.settings
    targets = []
    for price in window.hearth.prices().prices.values():
        if price.provider in settings.providers:
            # The API's own id ("gpt-4.1-mini"), not the normalized lookup key.
            targets.append(f"{price.provider}:{price.api_id or price.model}")
    return sorted(targets)


class CloudFlow(QObject):
    requestCloud = Signal(object, object)  # noqa: N815 (Qt signal naming): plan, consent

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: ConsentDialog | None = None
        self.planning = False
        self.sending = False  # an approved message is on its way
        self._local_route: tuple[str, str] | None = None  # (text, reason) after a refusal
        # (text, entities) from the privacy preview: the user's corrections for that text
        self.corrections: tuple[str, list[Entity]] | None = None
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setAccessibleName("Cloud model for Ask cloud")
        self.target.setToolTip("provider:model — the cloud model Ask cloud would use")
        self.target.setMinimumContentsLength(22)
        self.button = QPushButton("Ask cloud…")
        self.button.setAccessibleName("Ask a cloud model about this message")
        self.button.setToolTip(
            "Send this one message to a cloud model, after you see and approve "
            "exactly what leaves (Ctrl+Shift+Enter)"
        )
        self.button.clicked.connect(self.ask)
        self.fill_targets()

    def fill_targets(self) -> None:
        current = self.target.currentText()
        self.target.clear()
        try:
            self.target.addItems(cloud_targets(self.window))
        except HearthError as exc:
            self.window.show_notice(exc.user_text())
        wanted = current or self.window.hearth.settings.costs.compare_model
        index = self.target.findText(wanted)
        if index < 0:
            index = next(
                (i for i in range(self.target.count()) if self.target.itemText(i).endswith(wanted)),
                0,
            )
        self.target.setCurrentIndex(index)

    # -- step 1: plan in the background ------------------------------------------
    def take_local_route(self, text: str) -> str:
        """The routing reason for sending ``text`` locally (after a refusal, that reason)."""
        from app.chat.routing import LOCAL_DEFAULT

        kept, self._local_route = self._local_route, None
        if kept is not None and kept[0] == text:
            return kept[1]
        return LOCAL_DEFAULT

    def ask(self, target: str | None = None) -> None:
        w = self.window
        if target:
            self.target.setCurrentText(target)
        if w.busy or self.planning:
            return
        text: str | None = w.composer.toPlainText()
        if not text or not text.strip():
            if not w.conversation_id:
                w.show_notice("Type a message first, then Ask cloud.")
                return
            text = None  # answer the last message again (retry after a failure)
        if w.hearth.settings.network.mode != "cloud":
            w.show_notice(
                "The network mode is "
                f"{w.hearth.settings.network.mode}: switch it to “Cloud on consent” to ask a "
                "cloud model. Nothing was sent."
            )
            return
        self._plan(text, include_context=False)

    def _plan(self, text: str | None, include_context: bool) -> None:
        w = self.window
        target = self.target.currentText().strip()
        conversation_id = w.conversation_id
        hearth = w.hearth
        entities = None
        if self.corrections is not None and text is not None and self.corrections[0] == text:
            entities = self.corrections[1]
        self.planning = True
        w.hide_notice()
        w.status_stats.setText("Preparing the cloud request (privacy filter)…")

        def plan(_progress: object) -> CloudPlan:
            from app.chat.routing import LOCAL_SENSITIVE

            cloud = hearth.cloud()
            made = cloud.plan(
                conversation_id, text, target, include_context=include_context, entities=entities
            )
            if made.sensitive and text is not None:
                kinds = ", ".join(sorted(made.sensitive))
                self._local_route = (text, LOCAL_SENSITIVE.format(kinds=kinds))
            cloud.check(made)  # sensitive types, budget, network mode
            cloud.require_key(made)  # before the dialog, not after the user said yes
            return made

        run_in_background(plan, self._planned, self._plan_failed)

    def _plan_failed(self, message: str) -> None:
        self.planning = False
        self.window.status_stats.setText("")
        self.window.show_notice(message)
        if self.dialog is not None:
            self.dialog.block(message)

    def _planned(self, plan: CloudPlan) -> None:
        self.planning = False
        self.window.status_stats.setText("")
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_plan(plan)  # the same message, with or without history
            return
        dialog = ConsentDialog(plan, self.window)
        dialog.approved.connect(self._approved)
        dialog.contextToggled.connect(
            lambda on: self._plan(None if dialog.plan.retry else dialog.plan.text, on)
        )
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()

    def _closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    # -- step 2: the approved plan goes to the worker --------------------------------
    def _approved(self, plan: CloudPlan) -> None:
        from app.chat.cloud import consent_to

        w = self.window
        if w.busy:
            w.show_notice("Wait for the current reply to finish; nothing was sent.")
            return
        if plan.retry:
            msgs = w.chat_view.messages()
            while msgs and msgs[-1].role == "assistant":
                msgs.pop()
            w.chat_view.set_messages(msgs)
        self.sending = True
        self.corrections = None  # they were for this message only
        w._on_busy(True)
        self.requestCloud.emit(plan, consent_to(plan))

    def network_changed(self, mode: str) -> None:
        if self.dialog is not None and mode != "cloud":
            self.dialog.block(
                f"The network mode changed to {mode}: this message cannot be sent. "
                "Nothing was sent."
            )
