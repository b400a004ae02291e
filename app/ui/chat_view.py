"""The conversation transcript: messages rendered as safe Markdown."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser

from app.chat.routing import LOCAL_DEFAULT
from app.ui.markdown import render_markdown

if TYPE_CHECKING:
    from app.storage.history import MessageView

STYLE = """
<style>
 .msg { margin: 6px 0 12px 0; }
 .who { font-weight: bold; color: #555; }
 .user .who { color: #1a5fb4; }
 .assistant .who { color: #26a269; }
 .cloud .who { color: #c64600; }
 .cloud { border-left: 3px solid #c64600; padding-left: 6px; }
 .meta { color: #888; font-size: small; }
 pre { background: #f3f3f3; padding: 6px; }
 code { background: #f3f3f3; font-family: monospace; }
 .image { color: #888; }
</style>
"""


WELCOME = """
<div style='color:#777; margin:40px;'>
<h3>Start a conversation</h3>
<p>Replies come from a model running on this computer. Nothing you type leaves it.</p>
<p>Enter sends, Shift+Enter adds a line, Esc stops a reply.
Ctrl+Shift+P shows what the privacy filter finds in your message.</p>
</div>
"""


def message_meta(m: MessageView) -> str:
    if m.role != "assistant":
        return ""
    parts = [m.model or m.engine or ""]
    if m.is_cloud:
        cost = "price unknown" if m.cost_usd is None else f"${m.cost_usd:.4f}"
        parts = [f"☁ Cloud reply · {m.engine} · {m.model} via {m.host} · {cost}"]
    if m.completion_tokens:
        parts.append(f"{m.completion_tokens} tokens")
    if m.tokens_per_s:
        parts.append(f"{m.tokens_per_s:.1f} tok/s")
    if not m.complete:
        parts.append(f"incomplete ({m.error})" if m.error else "incomplete")
    if m.route and not m.is_cloud and m.route != LOCAL_DEFAULT:
        parts.append(m.route)
    return " · ".join(p for p in parts if p)


@dataclass
class ShownMessage:
    role: str
    text: str
    meta: str = ""
    cloud: bool = False  # a reply from a cloud provider: badged


class ChatView(QTextBrowser):
    """Shows one conversation; the last message may be growing."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Conversation")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self._messages: list[ShownMessage] = []
        self._rendered: list[str] = []
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(60)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._refresh)
        self._refresh()

    # Never load anything: no remote images, no local files.
    def loadResource(self, kind: int, name: QUrl | str) -> object:  # noqa: N802 (Qt override)
        return None

    def messages(self) -> list[ShownMessage]:
        return list(self._messages)

    def plain_text_of_last(self) -> str:
        return self._messages[-1].text if self._messages else ""

    def set_messages(self, messages: list[ShownMessage]) -> None:
        self._messages = list(messages)
        self._rendered = [self._render(m) for m in self._messages]
        self._refresh()

    def append_message(self, message: ShownMessage) -> None:
        self._messages.append(message)
        self._rendered.append(self._render(message))
        self._refresh()

    def append_text(self, text: str) -> None:
        """Grow the last message; the view repaints at most every 60 ms."""
        if not self._messages:
            return
        self._messages[-1].text += text
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def finish_last(self, meta: str, text: str | None = None, *, cloud: bool = False) -> None:
        if not self._messages:
            return
        if text is not None:
            self._messages[-1].text = text
        self._messages[-1].meta = meta
        self._messages[-1].cloud = cloud
        self._dirty = True
        self._refresh()

    def _render(self, m: ShownMessage) -> str:
        who = {"user": "You", "assistant": "Hearth"}.get(m.role, m.role)
        if m.cloud:
            who = "☁ Cloud reply"
        body = render_markdown(m.text) if m.text else "<p><i>…</i></p>"
        meta = f"<div class='meta'>{html.escape(m.meta)}</div>" if m.meta else ""
        kind = f"{m.role} cloud" if m.cloud else m.role
        return f"<div class='msg {kind}'><div class='who'>{who}</div>{body}{meta}</div>"

    def _refresh(self) -> None:
        if not self._messages:
            self.setHtml(STYLE + WELCOME)
            return
        if self._dirty:
            self._rendered[-1] = self._render(self._messages[-1])
            self._dirty = False
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        self.setHtml(STYLE + "".join(self._rendered))
        if at_bottom:
            self.moveCursor(QTextCursor.MoveOperation.End)
            bar.setValue(bar.maximum())
