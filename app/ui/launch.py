"""Starting the desktop app."""

from __future__ import annotations

import logging
import sys

from app.errors import HearthError

log = logging.getLogger("hearth.ui")


def launch(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Hearth")
    QApplication.setDesktopFileName("hearth")
    from app.core import Hearth, setup_logging

    try:
        hearth = Hearth()
        setup_logging(hearth.paths)
        from app.ui.main_window import MainWindow

        window = MainWindow(hearth)
    except HearthError as exc:
        QMessageBox.critical(None, "Hearth cannot start", exc.user_text())
        return 1
    window.show()
    code = app.exec()
    hearth.close()
    return int(code)
