"""Running slow work off the GUI thread (Anki's run_in_background, superqt's workers).

``run_in_background(fn, on_done, on_error, on_progress)`` runs ``fn(progress)``
on Qt's thread pool; the callbacks run on the GUI thread.  Worker code never
touches widgets: it only returns a value or raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.errors import HearthError

log = logging.getLogger("hearth.ui")

Progress = Callable[[int, int], None]

_pending: set[_Relay] = set()  # keep relays alive until they have reported


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted by the pool thread are queued to it."""

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None],
        on_progress: Progress | None,
    ) -> None:
        super().__init__()
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)
        self.progress.connect(self._deliver_progress)

    @Slot(object)
    def _deliver_done(self, value: Any) -> None:
        _pending.discard(self)
        self._on_done(value)

    @Slot(str)
    def _deliver_error(self, message: str) -> None:
        _pending.discard(self)
        self._on_error(message)

    @Slot(int, int)
    def _deliver_progress(self, done: int, total: int) -> None:
        if self._on_progress is not None:
            self._on_progress(done, total)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[Progress], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn(lambda done, total: self.relay.progress.emit(done, total))
        except HearthError as exc:
            self.relay.failed.emit(exc.user_text())
        except Exception:
            log.exception("background task failed")
            self.relay.failed.emit("Hearth hit an internal error; see the log file.")
        else:
            self.relay.done.emit(result)


def pool() -> QThreadPool:
    return QThreadPool.globalInstance()


def run_in_background(
    fn: Callable[[Progress], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str], None],
    on_progress: Progress | None = None,
) -> None:
    relay = _Relay(on_done, on_error, on_progress)  # created on the GUI thread
    _pending.add(relay)
    pool().start(_Task(fn, relay))


def wait_for_background(msecs: int = 30_000) -> bool:
    """Block until every background task has finished (shutdown and tests)."""
    return bool(pool().waitForDone(msecs))
