"""The main window's conversation list: open, search, rename, delete, default engine.

A mixin of :class:`app.ui.main_window.MainWindow`, which owns the widgets named below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
)

from app.chat.routing import conversation_target
from app.core import Hearth
from app.errors import HearthError
from app.ui.chat_view import ChatView, ShownMessage, message_meta
from app.ui.composer import Composer
from app.ui.window_part import WindowPart

if TYPE_CHECKING:
    from app.ui.cloud_flow import CloudFlow


class ConversationsMixin(WindowPart):
    hearth: Hearth
    conversation_id: str | None
    conversation_list: QListWidget
    search_box: QLineEdit
    chat_view: ChatView
    composer: Composer
    status_engine: QLabel
    cloud: CloudFlow
    busy: bool
    model_ready: bool

    # -- hooks tests can replace (dialogs) -------------------------------------
    def confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self._widget(), title, question)
        return answer == QMessageBox.StandardButton.Yes

    def ask_text(self, title: str, label: str, value: str) -> str | None:
        text, ok = QInputDialog.getText(self._widget(), title, label, text=value)
        return text if ok else None

    # -- conversations --------------------------------------------------------
    def reload_conversations(self) -> None:
        query = self.search_box.text().strip()
        try:
            convs = self.hearth.history.list_conversations()
            if query:
                hits = {h.conversation_id for h in self.hearth.history.search(query)}
                convs = [c for c in convs if c.id in hits or query.lower() in c.title.lower()]
        except HearthError as exc:
            self.show_notice(exc.user_text())
            return
        self.conversation_list.blockSignals(True)
        self.conversation_list.clear()
        for conv in convs:
            item = QListWidgetItem(conv.title)
            item.setData(Qt.ItemDataRole.UserRole, conv.id)
            item.setToolTip(f"{conv.title}\n{conv.updated_at:%Y-%m-%d %H:%M}")
            self.conversation_list.addItem(item)
            if conv.id == self.conversation_id:
                self.conversation_list.setCurrentItem(item)
        self.conversation_list.blockSignals(False)

    def conversation_ids(self) -> list[str]:
        return [
            self.conversation_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.conversation_list.count())
        ]

    @property
    def generating(self) -> bool:
        """A reply is streaming (as opposed to a model loading)."""
        return self.busy and self.model_ready

    def new_chat(self) -> None:
        if self.generating:
            return
        self.conversation_id = None
        self.conversation_list.clearSelection()
        self.conversation_list.setCurrentRow(-1)
        self.chat_view.set_messages([])
        self.hide_notice()
        self._show_chat_engine()
        self.composer.setFocus()

    def open_conversation(self, conversation_id: str) -> None:
        try:
            messages = self.hearth.history.messages(conversation_id)
        except HearthError as exc:
            self.show_notice(exc.user_text())
            return
        self.conversation_id = conversation_id
        self.chat_view.set_messages(
            [ShownMessage(m.role, m.content, message_meta(m), m.is_cloud) for m in messages]
        )
        self.hide_notice()
        self._show_chat_engine()

    def _on_conversation_selected(self, item: QListWidgetItem | None, _prev: object) -> None:
        if item is None:
            return
        if self.generating:
            self.show_notice("Wait for the reply to finish, or stop it, before switching chats.")
            self.reload_conversations()
            return
        self.open_conversation(item.data(Qt.ItemDataRole.UserRole))

    def _conversation_menu(self, pos: QPoint) -> None:
        menu = QMenu(self._widget())
        menu.addAction("Default engine for this chat…", self.choose_default_engine)
        menu.addAction("Rename…", self.rename_current)
        menu.addAction("Delete…", self.delete_current)
        menu.exec(self.conversation_list.mapToGlobal(pos))

    def ask_choice(self, title: str, label: str, items: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(self._widget(), title, label, items, 0, False)
        return item if ok else None

    def default_target(self) -> str | None:
        """The cloud target this conversation sends to by default (None: local)."""
        if not self.conversation_id:
            return None
        try:
            conv = self.hearth.history.get_conversation(self.conversation_id)
        except HearthError:
            return None
        return conversation_target(conv.default_engine)

    def choose_default_engine(self) -> None:
        if not self.conversation_id:
            return
        target = self.cloud.target.currentText().strip()
        local = "The local model (nothing leaves this computer)"
        cloud = f"{target} in the cloud (asks for your approval every message)"
        choice = self.ask_choice(
            "Default engine", "New messages in this chat go to:", [local, cloud]
        )
        if choice is None:
            return
        try:
            self.hearth.history.set_default_engine(
                self.conversation_id, None if choice == local else f"cloud:{target}"
            )
        except HearthError as exc:
            self.show_notice(exc.user_text())
        self._show_chat_engine()

    def _show_chat_engine(self) -> None:
        target = self.default_target()
        self.status_engine.setText(f"This chat: ☁ {target} (asks each time)" if target else "")

    def rename_current(self) -> None:
        if not self.conversation_id:
            return
        current = self.hearth.history.get_conversation(self.conversation_id).title
        title = self.ask_text("Rename chat", "New name:", current)
        if title is None:
            return
        try:
            self.hearth.history.rename_conversation(self.conversation_id, title)
        except HearthError as exc:
            self.show_notice(exc.user_text())
        self.reload_conversations()

    def delete_current(self) -> None:
        if not self.conversation_id or self.generating:
            return
        title = self.hearth.history.get_conversation(self.conversation_id).title
        if not self.confirm("Delete chat", f"Delete “{title}” and all its messages?"):
            return
        try:
            self.hearth.history.delete_conversation(self.conversation_id)
        except HearthError as exc:
            self.show_notice(exc.user_text())
            return
        self.new_chat()
        self.reload_conversations()

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()
