"""Hearth's main window: conversations on the left, the chat on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.chat.routing import overflow_suggestion
from app.core import Hearth
from app.errors import HearthError
from app.ui.background import run_in_background, wait_for_background
from app.ui.chat_view import ChatView, ShownMessage, message_meta
from app.ui.cloud_flow import CloudFlow
from app.ui.composer import Composer
from app.ui.conversations import ConversationsMixin
from app.ui.model_picker import ModelsMixin
from app.ui.worker import ModelWorker

if TYPE_CHECKING:
    from app.chat.session import TurnFinished, TurnStarted
    from app.privacy.redactor import Redactor
    from app.ui.privacy_preview import PrivacyPreview


NETWORK_MODES = [
    ("Offline (air-gapped)", "offline"),
    ("Local network", "lan"),
    ("Cloud on consent", "cloud"),
]


class MainWindow(ConversationsMixin, ModelsMixin, QMainWindow):
    requestLoad = Signal(str)  # noqa: N815 (Qt signal naming)
    requestSend = Signal(str, str, str)  # noqa: N815  conversation, text, route
    requestRegenerate = Signal(str)  # noqa: N815
    requestShutdown = Signal()  # noqa: N815

    def __init__(self, hearth: Hearth) -> None:
        super().__init__()
        self.hearth = hearth
        self.setWindowTitle("Hearth")
        self.resize(1100, 720)
        self.conversation_id: str | None = None
        self.model_ready = False
        self.busy = False
        self.started = False
        self.opening = False
        self.privacy_state = "not loaded"
        self.last_preview: PrivacyPreview | None = None
        self.n_ctx = 4096  # of the loaded local model
        self.remote_models: list[str] = []
        self.last_tps: float | None = None  # the last local reply's speed
        self._build()
        self._start_worker()
        self._set_ready(False)
        self._show_network_mode()
        # The window paints first; the history database (SQLAlchemy takes about
        # a second to import on a slow machine) and the model load right after.
        QTimer.singleShot(500, self._late_init)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.started:
            QTimer.singleShot(0, self._late_init)
        return super().event(event)

    def _late_init(self) -> None:
        """Open the history database in the background, then fill the window."""
        if self.opening or self.started:
            return
        self.opening = True

        def open_history(_progress: object) -> None:
            self.hearth.history.list_conversations()  # imports SQLAlchemy, opens the file

        run_in_background(open_history, self._history_opened, self._history_opened)

    def _history_opened(self, _result: object) -> None:
        self.reload_conversations()  # shows the error, if opening failed
        self._refresh_models()
        self.started = True
        self.requestLoad.emit(self.model_picker.currentData() or "")
        self.warm_up_privacy()
        self.fetch_remote_models()

    # -- network mode -----------------------------------------------------------
    def _on_network_picked(self, _index: int) -> None:
        mode = self.network_picker.currentData()
        from app.privacy.network import enforce

        try:
            self.hearth.settings.set("network.mode", mode)
            self.hearth.save_settings()
        except HearthError as exc:
            self.show_notice(exc.user_text())
        enforce(self.hearth.settings.network.mode, set(self.hearth.settings.network.trusted_hosts))
        self._show_network_mode()
        self.cloud.network_changed(self.hearth.settings.network.mode)

    def _show_network_mode(self) -> None:
        mode = self.hearth.settings.network.mode
        self.network_picker.setStyleSheet(
            "QComboBox { font-weight: bold; color: #26a269; }" if mode == "offline" else ""
        )

    # -- privacy ----------------------------------------------------------------
    def redactor(self) -> Redactor:
        from app.privacy.redactor import shared_redactor

        return shared_redactor(self.hearth.settings.privacy)

    def warm_up_privacy(self) -> None:
        """Load the PII analyzer in the background once the window is up."""
        self.privacy_state = "loading"
        self.status_privacy.setText("Privacy filter: loading…")
        redactor = self.redactor()
        run_in_background(
            lambda _progress: redactor.load(), self._privacy_ready, self._privacy_failed
        )

    def _privacy_ready(self, _result: object) -> None:
        self.privacy_state = "ready"
        self.status_privacy.setText("Privacy filter: ready")

    def _privacy_failed(self, message: str) -> None:
        self.privacy_state = "unavailable"
        self.status_privacy.setText("Privacy filter: unavailable (cloud sending is off)")
        self.status_privacy.setToolTip(message)

    def open_privacy_preview(self) -> PrivacyPreview | None:
        text = self.composer.toPlainText()
        if not text.strip():
            self.show_notice("Type a message first to preview what the privacy filter finds.")
            return None
        from app.privacy.vault import Vault
        from app.ui.privacy_preview import PrivacyPreview

        vault = Vault()
        if self.conversation_id:
            try:
                vault = Vault.from_entries(self.hearth.history.vault_entries(self.conversation_id))
            except HearthError as exc:
                self.show_notice(exc.user_text())
        dialog = PrivacyPreview(text, self.redactor(), self, vault=vault)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self._keep_corrections(dialog))
        dialog.show()
        self.last_preview = dialog
        return dialog

    def _keep_corrections(self, dialog: PrivacyPreview) -> None:
        """The user's corrections apply to this message's cloud send (Ask cloud…)."""
        if dialog.analysis_done and dialog.error is None:
            self.cloud.corrections = (dialog.text, dialog.final_entities())

    # -- construction ---------------------------------------------------------
    def _build(self) -> None:
        side = QWidget()
        side_layout = QVBoxLayout(side)
        self.new_button = QPushButton("New chat")
        self.new_button.setAccessibleName("New chat")
        self.new_button.setToolTip("New chat (Ctrl+N)")
        self.new_button.clicked.connect(self.new_chat)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search chats (Ctrl+F)")
        self.search_box.setAccessibleName("Search conversations")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self.reload_conversations)
        self.conversation_list = QListWidget()
        self.conversation_list.setAccessibleName("Conversations")
        self.conversation_list.currentItemChanged.connect(self._on_conversation_selected)
        self.conversation_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conversation_list.customContextMenuRequested.connect(self._conversation_menu)
        self.rename_button = QPushButton("Rename")
        self.rename_button.setAccessibleName("Rename conversation")
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setAccessibleName("Delete conversation")
        self.delete_button.clicked.connect(self.delete_current)
        row = QHBoxLayout()
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        side_layout.addWidget(self.new_button)
        side_layout.addWidget(self.search_box)
        side_layout.addWidget(self.conversation_list, 1)
        side_layout.addLayout(row)

        main = QWidget()
        main_layout = QVBoxLayout(main)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model:"))
        self.model_picker = QComboBox()
        self.model_picker.setAccessibleName("Model")
        self.model_picker.activated.connect(self._on_model_picked)
        top.addWidget(self.model_picker, 1)
        top.addWidget(QLabel("Network:"))
        self.network_picker = QComboBox()
        self.network_picker.setAccessibleName("Network mode")
        for label, mode in NETWORK_MODES:
            self.network_picker.addItem(label, mode)
        self.network_picker.setCurrentIndex(
            max(0, self.network_picker.findData(self.hearth.settings.network.mode))
        )
        self.network_picker.activated.connect(self._on_network_picked)
        top.addWidget(self.network_picker)
        main_layout.addLayout(top)

        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner_layout = QVBoxLayout(self.banner)
        self.banner_label = QLabel("Preparing the model…")
        self.banner_label.setWordWrap(True)
        self.banner_progress = QProgressBar()
        self.banner_progress.setAccessibleName("Model preparation progress")
        banner_layout.addWidget(self.banner_label)
        banner_layout.addWidget(self.banner_progress)
        main_layout.addWidget(self.banner)

        self.chat_view = ChatView()
        main_layout.addWidget(self.chat_view, 1)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Notice")
        self.notice.setStyleSheet("color: #a51d2d;")
        self.notice.hide()
        main_layout.addWidget(self.notice)

        self.composer = Composer()
        self.composer.setMaximumHeight(140)
        self.composer.submitted.connect(self.send_current)
        main_layout.addWidget(self.composer)
        buttons = QHBoxLayout()
        self.send_button = QPushButton("Send")
        self.send_button.setAccessibleName("Send message")
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.clicked.connect(self.send_current)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setAccessibleName("Stop reply")
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.regen_button = QPushButton("Regenerate")
        self.regen_button.setAccessibleName("Regenerate last reply")
        self.regen_button.setToolTip("Regenerate the last reply (Ctrl+R)")
        self.regen_button.clicked.connect(self.regenerate)
        self.preview_button = QPushButton("Privacy preview")
        self.preview_button.setAccessibleName("Privacy preview of the message")
        self.preview_button.setToolTip(
            "Show what the privacy filter finds in this message (Ctrl+Shift+P)"
        )
        self.preview_button.clicked.connect(self.open_privacy_preview)
        self.cloud = CloudFlow(self)
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cloud.target)
        buttons.addWidget(self.cloud.button)
        buttons.addWidget(self.regen_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.send_button)
        main_layout.addLayout(buttons)

        splitter = QSplitter()
        splitter.addWidget(side)
        splitter.addWidget(main)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 840])
        self.setCentralWidget(splitter)

        self.status_model = QLabel("No model")
        self.status_model.setAccessibleName("Current model")
        self.status_privacy = QLabel("Privacy filter: not loaded")
        self.status_privacy.setAccessibleName("Privacy filter status")
        self.status_stats = QLabel("")
        self.status_stats.setAccessibleName("Last reply statistics")
        self.status_engine = QLabel("")
        self.status_engine.setAccessibleName("This chat's default engine")
        self.statusBar().addWidget(self.status_model, 1)
        self.statusBar().addPermanentWidget(self.status_engine)
        self.statusBar().addPermanentWidget(self.status_privacy)
        self.statusBar().addPermanentWidget(self.status_stats)

        for text, keys, slot in (
            ("New chat", QKeySequence.StandardKey.New, self.new_chat),
            ("Find", QKeySequence.StandardKey.Find, self.focus_search),
            ("Stop", QKeySequence(Qt.Key.Key_Escape), self.stop),
            ("Regenerate", QKeySequence("Ctrl+R"), self.regenerate),
            ("Send", QKeySequence("Ctrl+Return"), self.send_current),
            ("Privacy preview", QKeySequence("Ctrl+Shift+P"), self.open_privacy_preview),
            ("Ask cloud", QKeySequence("Ctrl+Shift+Return"), self.cloud.ask),
        ):
            action = QAction(text, self)
            action.setShortcut(keys)
            action.triggered.connect(slot)
            self.addAction(action)

        tools = self.menuBar().addMenu("&Tools")
        settings = tools.addAction("Settings…", self.open_settings)
        settings.setShortcut(QKeySequence("Ctrl+,"))
        tools.addAction("Models…", self.open_models)
        tools.addAction("Cost and usage…", self.open_dashboard)
        tools.addAction("API keys…", self.open_keys)
        tools.addAction("Egress audit…", self.open_audit)

    def _start_worker(self) -> None:
        self.worker_thread = QThread(self)
        self.worker_thread.setObjectName("hearth-model-worker")
        self.worker = ModelWorker(self.hearth)
        self.worker.moveToThread(self.worker_thread)
        self.requestLoad.connect(self.worker.load)
        self.requestSend.connect(self.worker.send)
        self.requestRegenerate.connect(self.worker.regenerate)
        self.requestShutdown.connect(self.worker.shutdown)
        self.cloud.requestCloud.connect(self.worker.send_cloud)
        self.worker.progress.connect(self._on_progress)
        self.worker.modelLoading.connect(self._on_model_loading)
        self.worker.modelReady.connect(self._on_model_ready)
        self.worker.turnStarted.connect(self._on_turn_started)
        self.worker.delta.connect(self.chat_view.append_text)
        self.worker.turnFinished.connect(self._on_turn_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.busyChanged.connect(self._on_busy)
        self.worker.notice.connect(self.show_notice)
        self.worker_thread.start()

    # -- turns ----------------------------------------------------------------
    def send_current(self) -> None:
        text = self.composer.toPlainText()
        target = self.default_target()
        if target and not self.busy:
            self.cloud.ask(target=target)  # still one consent per message
            return
        if not self.model_ready or self.busy:
            return
        if not text.strip():
            self.show_notice("Type a message first: an empty message is not sent.")
            return
        try:
            if self.conversation_id is None:
                self.conversation_id = self.hearth.history.create_conversation().id
        except HearthError as exc:
            self.show_notice(exc.user_text())
            return
        self.hide_notice()
        route = self.cloud.take_local_route(text)
        tip = overflow_suggestion(
            len(text) // 4,
            self.n_ctx,
            self.hearth.settings.model.max_tokens,
            self.last_tps,
            self.hearth.settings,
        )
        if tip is not None:
            self.show_notice(f"Tip: {tip.reason} (Ask cloud… sends it after your approval.)")
        self._on_busy(True)
        self.requestSend.emit(self.conversation_id, text, route)

    def regenerate(self) -> None:
        if not self.model_ready or self.busy or not self.conversation_id:
            return
        msgs = self.chat_view.messages()
        while msgs and msgs[-1].role == "assistant":
            msgs.pop()
        self.chat_view.set_messages(msgs)
        self._on_busy(True)
        self.requestRegenerate.emit(self.conversation_id)

    def stop(self) -> None:
        if self.busy:
            self.worker.cancel()

    def _on_turn_started(self, event: TurnStarted) -> None:
        self.conversation_id = event.conversation_id  # a cloud send may have created it
        if event.user_message is not None:
            self.composer.clear()
            self.chat_view.append_message(ShownMessage("user", event.user_message.content))
        self.chat_view.append_message(ShownMessage("assistant", ""))
        if event.dropped_messages:
            self.show_notice(
                f"{event.dropped_messages} older message(s) were left out of the prompt "
                "to fit the model's context window."
            )
        self.reload_conversations()

    def _on_turn_finished(self, event: TurnFinished) -> None:
        self.cloud.sending = False
        m = event.message
        self.chat_view.finish_last(message_meta(m), m.content, cloud=m.is_cloud)
        if not m.is_cloud and m.tokens_per_s:
            self.last_tps = m.tokens_per_s
        self.status_stats.setText(
            f"TTFT {m.ttft_s or 0:.2f} s · {m.tokens_per_s or 0:.1f} tok/s"
            + (" · stopped" if event.stopped else "")
        )
        self.reload_conversations()

    def _on_failed(self, message: str, stored: bool) -> None:
        if self.cloud.sending:
            self.cloud.sending = False
            if stored:
                message += (
                    "\nYour message is kept. To try again, clear the message box and press "
                    "Ask cloud… (you will be asked to approve it again)."
                )
        self.show_notice(message)
        if stored and self.conversation_id:
            self.open_conversation(self.conversation_id)
            self.show_notice(message)

    def _on_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()

    def _set_ready(self, ready: bool) -> None:
        self.model_ready = ready
        self._update_buttons()

    def _update_buttons(self) -> None:
        can_send = self.model_ready and not self.busy
        self.send_button.setEnabled(can_send)
        self.regen_button.setEnabled(can_send)
        self.stop_button.setEnabled(self.generating)
        self.model_picker.setEnabled(not self.busy)
        self.cloud.button.setEnabled(not self.busy)
        self.new_button.setEnabled(not self.generating)
        self.delete_button.setEnabled(not self.generating)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    def hide_notice(self) -> None:
        self.notice.hide()
        self.notice.setText("")

    # -- shutdown -------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        wait_for_background()
        if not self.worker_thread.isRunning():
            return
        self.worker.cancel()
        self.requestShutdown.emit()
        self.worker_thread.wait(10_000)
