"""Starting the desktop app."""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from app.errors import HearthError

log = logging.getLogger("hearth.ui")


def _install_excepthook() -> None:
    """A bug in a slot is logged with its traceback; the user sees one line, the app lives."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if isinstance(value, HearthError):
            message = value.user_text()
        else:
            log.error("unhandled error", exc_info=(kind, value, tb))
            message = "Hearth hit an internal error; the details are in its log file."
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance()
        window = getattr(app, "hearth_window", None) if app else None
        if window is not None and hasattr(window, "show_notice"):
            window.show_notice(message)
        else:
            QMessageBox.warning(None, "Hearth", message)

    sys.excepthook = hook


def launch(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Hearth")
    QApplication.setDesktopFileName("hearth")
    from app.core import Hearth, setup_logging

    try:
        hearth = Hearth()
        setup_logging(hearth.paths)
        from app.privacy.network import enforce

        enforce(hearth.settings.network.mode, set(hearth.settings.network.trusted_hosts))
        from app.ui.main_window import MainWindow

        window = MainWindow(hearth)
        app.hearth_window = window  # type: ignore[attr-defined]
        _install_excepthook()
    except HearthError as exc:
        QMessageBox.critical(None, "Hearth cannot start", exc.user_text())
        return 1
    window.show()
    code = app.exec()
    window.shutdown()
    hearth.close()
    return int(code)
