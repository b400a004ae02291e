"""The model worker: one QThread owns the loaded llama.cpp model.

Every slow call (preparing the default model, loading a model, generating)
runs here; results come back to the GUI thread as signals.  ``cancel`` is
the one method the GUI thread calls directly: it only sets the engine's
thread-safe stop flag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core import Hearth
from app.engines.base import Engine
from app.errors import HearthError

if TYPE_CHECKING:
    from app.chat.cloud import CloudPlan, CloudService, Consent
    from app.chat.session import TurnEvent

log = logging.getLogger("hearth.ui")


class ModelWorker(QObject):
    progress = Signal(int, int)  # bytes done, total (preparing the default model)
    modelLoading = Signal(str)  # noqa: N815 (Qt signal naming)
    modelReady = Signal(str, int, bool)  # noqa: N815  name, n_ctx, chat template
    turnStarted = Signal(object)  # noqa: N815
    delta = Signal(str)
    turnFinished = Signal(object)  # noqa: N815
    failed = Signal(str, bool)  # message, whether the user's text was stored
    busyChanged = Signal(bool)  # noqa: N815
    notice = Signal(str)  # a warning for the user (e.g. a model that is a tight fit)

    def __init__(self, hearth: Hearth) -> None:
        super().__init__()
        self._hearth = hearth
        self._engine: Engine | None = None
        self._model_name: str | None = None
        self._cloud: CloudService | None = None

    # Called from the GUI thread.
    def cancel(self) -> None:
        engine = self._engine
        if engine is not None:
            engine.cancel()
        cloud = self._cloud
        if cloud is not None:
            cloud.cancel()

    @Slot(str)
    def load(self, name: str) -> None:
        self.busyChanged.emit(True)
        try:
            registry = self._hearth.models
            wanted = name or registry.default_name
            if wanted == self._model_name and self._engine is not None:
                info = self._engine.info()
                self.modelReady.emit(info.model, info.context_length, info.chat_template)
                return
            self.modelLoading.emit(wanted)
            if wanted.startswith(("ollama:", "server:")):
                self._load_remote(wanted)
                return
            if wanted == registry.default_name and not registry.default_prepared():
                registry.ensure_default(lambda done, total: self.progress.emit(done, total))
            entry = registry.resolve(wanted)
            self._close_engine()
            self._engine = self._hearth.load_engine(entry, warn=self.notice.emit)
            self._model_name = entry.name
            info = self._engine.info()
            self.modelReady.emit(info.model, info.context_length, info.chat_template)
        except HearthError as exc:
            self.failed.emit(exc.user_text(), False)
        except Exception:
            log.exception("loading model %r failed", name)
            self.failed.emit(
                "Hearth could not load the model (internal error; see the log).", False
            )
        finally:
            self.busyChanged.emit(False)

    def _load_remote(self, name: str) -> None:
        """An Ollama or self-hosted server model: nothing to load here, only to connect."""
        kind, _, model = name.partition(":")
        settings = self._hearth.settings
        self._close_engine()
        engine: Engine
        if kind == "ollama":
            engine = self._hearth.ollama_engine(model)
        else:
            from app.engines.server_engine import open_server_engine

            engine = open_server_engine(
                settings,
                model,
                secrets=self._hearth.secrets,
                on_request=self._hearth.lan_audit_tap(),
            )
        self._engine = engine
        self._model_name = name
        info = engine.info()
        self.modelReady.emit(name, info.context_length, info.chat_template)

    @Slot(str, str, str)
    def send(self, conversation_id: str, text: str, route: str = "") -> None:
        self._turn(conversation_id, text, route or None)

    @Slot(str)
    def regenerate(self, conversation_id: str) -> None:
        self._turn(conversation_id, None)

    @Slot(object, object)
    def send_cloud(self, plan: CloudPlan, consent: Consent) -> None:
        """Send one approved message to a cloud provider (the service re-checks everything)."""
        self.busyChanged.emit(True)
        self._cloud = self._hearth.cloud()
        cloud = self._cloud
        self._stream(lambda: cloud.send(plan, consent))
        self._cloud = None

    def _turn(self, conversation_id: str, text: str | None, route: str | None = None) -> None:
        if self._engine is None:
            self.failed.emit("No model is loaded yet.", False)
            return
        self.busyChanged.emit(True)
        service = self._hearth.chat_service(self._engine)
        self._stream(
            lambda: (
                service.send(conversation_id, text, route=route)
                if text is not None
                else service.regenerate(conversation_id)
            )
        )

    def _stream(self, start: Callable[[], Iterator[TurnEvent]]) -> None:
        """Run one turn's events, reporting them as signals; busy was already announced."""
        from app.chat.session import TextDelta, TurnFinished, TurnStarted

        stored = False
        try:
            for event in start():
                if isinstance(event, TurnStarted):
                    stored = True
                    self.turnStarted.emit(event)
                elif isinstance(event, TextDelta):
                    self.delta.emit(event.text)
                elif isinstance(event, TurnFinished):
                    self.turnFinished.emit(event)
        except HearthError as exc:
            self.failed.emit(exc.user_text(), stored)
        except Exception:
            log.exception("chat turn failed")
            self.failed.emit("The reply failed (internal error; see the log).", stored)
        finally:
            self.busyChanged.emit(False)

    def _close_engine(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
            self._model_name = None

    @Slot()
    def shutdown(self) -> None:
        self._close_engine()
        thread = self.thread()
        if isinstance(thread, QThread):
            thread.quit()
