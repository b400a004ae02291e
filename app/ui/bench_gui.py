"""GUI measurements for `hearth bench`, run in a fresh child process.

``cold-start T0``: prints seconds from T0 (the parent's perf_counter just
before it spawned this process; the clock is system-wide on Linux and macOS)
to the main window's first paint, and to the conversation list being filled
(the history database opens right after the first paint).
``stall``: once the model and the privacy filter are loaded, streams a reply in
the real window and prints the largest gap of a 10 ms heartbeat timer beyond
its interval.  ``warmup-stall``: the same heartbeat from the first paint until
the model and the privacy filter have loaded in the background.
"""

from __future__ import annotations

import json
import os
import sys
import time


class Heartbeat:
    """A 10 ms timer on the GUI thread; a late tick is an event-loop stall."""

    INTERVAL_S = 0.010

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(int(self.INTERVAL_S * 1000))
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def max_stall_ms(self) -> float:
        worst = max(self.gaps, default=self.INTERVAL_S)
        return round(max(worst - self.INTERVAL_S, 0.0) * 1000, 1)


def main(argv: list[str]) -> int:
    mode, t0 = argv[0], float(argv[1])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from app.bench import COUNT
    from app.core import Hearth
    from app.ui.main_window import MainWindow

    result: dict[str, object] = {}

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and "cold_start_s" not in result:
                result["cold_start_s"] = round(time.perf_counter() - t0, 3)
                result["llama_cpp_imported_at_show"] = "llama_cpp" in sys.modules
                result["sqlalchemy_imported_at_show"] = "sqlalchemy" in sys.modules
            return False

    hearth = Hearth()
    window = MainWindow(hearth)
    painted = FirstPaint()
    window.installEventFilter(painted)
    window.show()

    if mode == "warmup-stall":
        # the event loop while the model and the PII analyzer load in the background
        warm = Heartbeat()

        def loaded() -> None:
            if window.privacy_state in ("ready", "unavailable") and window.model_ready:
                warm.stop()
                result["max_stall_during_warmup_ms"] = warm.max_stall_ms()
                app.quit()
                return
            QTimer.singleShot(20, loaded)

        warm.start()
        QTimer.singleShot(0, loaded)
    elif mode == "cold-start":

        def ready() -> None:
            if "cold_start_s" in result and window.started:
                result["history_listed_s"] = round(time.perf_counter() - t0, 3)
                app.quit()
                return
            QTimer.singleShot(5, ready)

        QTimer.singleShot(0, ready)
    else:
        beat = Heartbeat()
        state = {"sent": False}

        def poll() -> None:
            settled = window.privacy_state in ("ready", "unavailable")
            if not state["sent"] and window.model_ready and not window.busy and settled:
                state["sent"] = True
                window.composer.setPlainText(COUNT)
                beat.start()
                window.send_current()
            elif state["sent"] and not window.busy:
                beat.stop()
                result["max_stall_ms"] = beat.max_stall_ms()
                result["stall_heartbeats"] = len(beat.gaps)
                result["stall_reply_chars"] = len(window.chat_view.plain_text_of_last())
                app.quit()
                return
            QTimer.singleShot(20, poll)

        QTimer.singleShot(0, poll)
    app.exec()
    window.shutdown()
    hearth.close()
    print(json.dumps(result), flush=True)
    os._exit(0)  # a measuring process: skip interpreter teardown


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
