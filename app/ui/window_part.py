"""The base of the main window's mixins: what every part may call on the window."""

from __future__ import annotations

from typing import cast

from PySide6.QtWidgets import QWidget


class WindowPart:
    def show_notice(self, text: str) -> None:
        raise NotImplementedError

    def hide_notice(self) -> None:
        raise NotImplementedError

    def _widget(self) -> QWidget:
        """The window itself, as a parent for dialogs and menus."""
        return cast(QWidget, self)
