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
        # the event loop while the PII analyzer loads in the background
        gaps_w: list[float] = []
        last_w = [time.perf_counter()]
        beat_w = QTimer()
        beat_w.setInterval(10)

        def tick_w() -> None:
            now = time.perf_counter()
            gaps_w.append(now - last_w[0])
            last_w[0] = now
            if window.privacy_state in ("ready", "unavailable") and window.model_ready:
                beat_w.stop()
                result["max_stall_during_warmup_ms"] = round(
                    max(max(gaps_w) - 0.010, 0.0) * 1000, 1
                )
                app.quit()

        beat_w.timeout.connect(tick_w)
        beat_w.start()
    elif mode == "cold-start":

        def ready() -> None:
            if "cold_start_s" in result and window.started:
                result["history_listed_s"] = round(time.perf_counter() - t0, 3)
                app.quit()
                return
            QTimer.singleShot(5, ready)

        QTimer.singleShot(0, ready)
    else:
        gaps: list[float] = []
        last = [time.perf_counter()]
        beat = QTimer()
        beat.setInterval(10)

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        beat.timeout.connect(tick)
        state = {"sent": False}

        def poll() -> None:
            settled = window.privacy_state in ("ready", "unavailable")
            if not state["sent"] and window.model_ready and not window.busy and settled:
                state["sent"] = True
                window.composer.setPlainText(COUNT)
                gaps.clear()
                last[0] = time.perf_counter()
                beat.start()
                window.send_current()
            elif state["sent"] and not window.busy:
                beat.stop()
                result["max_stall_ms"] = round(max(max(gaps) - 0.010, 0.0) * 1000, 1)
                result["stall_heartbeats"] = len(gaps)
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
