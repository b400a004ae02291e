"""One chat turn: store the user's message, build the prompt, stream, store.

The user message is saved before generation starts, and the reply is saved
as it grows (every :data:`SAVE_EVERY_S` seconds), so a crash or a killed
process keeps a partial reply marked incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from app.engines.base import ChatMessage, Engine, GenerationOptions, Usage
from app.errors import ContextOverflowError, HearthError, UsageError

if TYPE_CHECKING:
    from app.storage.history import History, MessageView

SAVE_EVERY_S = 0.5
TITLE_CHARS = 60


@dataclass(frozen=True)
class TurnStarted:
    conversation_id: str
    user_message: MessageView | None
    assistant_message_id: str
    dropped_messages: int


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class TurnFinished:
    message: MessageView
    stopped: bool


TurnEvent = TurnStarted | TextDelta | TurnFinished


class StreamRestorerLike(Protocol):
    def feed(self, chunk: str) -> str: ...

    def finish(self) -> str: ...


@dataclass(frozen=True)
class FittedPrompt:
    messages: list[ChatMessage]
    dropped: int
    tokens: int


def fit_history(
    engine: Engine,
    system: str,
    history: list[ChatMessage],
    new: ChatMessage,
    max_tokens: int,
    n_ctx: int,
) -> FittedPrompt:
    """Keep the newest turns that fit ``n_ctx`` with room for the reply.

    The oldest messages are left out first; the caller shows how many were.
    """
    head = [ChatMessage("system", system)] if system.strip() else []
    budget = n_ctx - min(max_tokens, n_ctx // 2)
    alone = engine.prompt_tokens([*head, new])
    if alone > budget:
        raise ContextOverflowError(
            f"This message is about {alone:,} tokens, but the model's context window "
            f"holds {n_ctx:,} tokens including room for the reply.",
            hint="Shorten it or split it, pick a model with a larger context window, or ask "
            "a cloud model (Ask cloud…, with your approval of what is sent). Your text was kept.",
        )
    start = 0
    tokens = engine.prompt_tokens([*head, *history, new])
    while tokens > budget and start < len(history):
        start += 1
        # Never start the kept history with an assistant reply.
        while start < len(history) and history[start].role != "user":
            start += 1
        tokens = engine.prompt_tokens([*head, *history[start:], new])
    return FittedPrompt([*head, *history[start:], new], start, tokens)


def _as_prompt(messages: list[MessageView]) -> list[ChatMessage]:
    """Stored user and assistant turns with text, as prompt messages."""
    return [
        ChatMessage(m.role, m.content)  # type: ignore[arg-type]
        for m in messages
        if m.role in ("user", "assistant") and m.content
    ]


class ChatService:
    """Runs turns for one engine against the history database."""

    def __init__(
        self,
        history: History,
        engine: Engine,
        *,
        system_prompt: str = "",
        options: GenerationOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.history = history
        self.engine = engine
        self.system_prompt = system_prompt
        self.options = options or GenerationOptions()
        self._clock = clock

    def cancel(self) -> None:
        self.engine.cancel()

    def send(
        self, conversation_id: str, text: str, *, route: str | None = None
    ) -> Iterator[TurnEvent]:
        """Store ``text`` as the user's message and stream the reply.

        ``route`` is the routing decision's reason, stored with the reply.
        """
        if not text.strip():
            raise UsageError("Type a message first: an empty message is not sent.")
        past = self._context(conversation_id)
        fitted = self._fit(past, ChatMessage("user", text))
        user = self.history.add_message(conversation_id, "user", text)
        if not past:
            self.name_from_first_message(conversation_id, text)
        yield from self.stream_reply(conversation_id, user, fitted, fields={"route": route})

    def regenerate(self, conversation_id: str) -> Iterator[TurnEvent]:
        """Replace the last reply with a new one for the same user message."""
        messages = self.history.messages(conversation_id)
        while messages and messages[-1].role == "assistant":
            self.history.delete_message(messages.pop().id)
        if not messages or messages[-1].role != "user":
            raise UsageError("There is no message to answer again in this conversation.")
        last = messages.pop()
        past = _as_prompt(messages)
        fitted = self._fit(past, ChatMessage("user", last.content))
        yield from self.stream_reply(conversation_id, None, fitted)

    # -- building blocks (CloudService streams its replies through these too) ----
    def _context(self, conversation_id: str) -> list[ChatMessage]:
        return _as_prompt(self.history.messages(conversation_id))

    def _fit(self, past: list[ChatMessage], new: ChatMessage) -> FittedPrompt:
        info = self.engine.info()
        return fit_history(
            self.engine,
            self.system_prompt,
            past,
            new,
            self.options.max_tokens,
            info.context_length,
        )

    def name_from_first_message(self, conversation_id: str, text: str) -> None:
        conv = self.history.get_conversation(conversation_id)
        if conv.title == "New chat":
            words = " ".join(text.split())
            title = words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1] + "…"
            self.history.rename_conversation(conversation_id, title)

    def stream_reply(
        self,
        conversation_id: str,
        user: MessageView | None,
        fitted: FittedPrompt,
        *,
        engine: Engine | None = None,
        restorer: StreamRestorerLike | None = None,
        fields: dict[str, Any] | None = None,
        on_end: Callable[[str, Usage | None], dict[str, Any]] | None = None,
    ) -> Iterator[TurnEvent]:
        """Stream a reply into a new assistant message.

        ``restorer`` turns streamed text into what is shown and stored (cloud
        replies: placeholders back to values).  ``on_end(outcome, usage)`` is
        told how the turn ended ("complete", "stopped" or the error message)
        and returns extra fields to store with the reply (e.g. its cost).
        """
        engine = engine or self.engine
        info = engine.info()
        reply = self.history.add_message(
            conversation_id,
            "assistant",
            "",
            complete=False,
            engine=info.engine,
            model=info.model,
            **(fields or {}),
        )
        yield TurnStarted(conversation_id, user, reply.id, fitted.dropped)
        parts: list[str] = []
        usage: Usage | None = None

        def show(text: str) -> str:
            return restorer.feed(text) if restorer else text

        def rest() -> str:
            return restorer.finish() if restorer else ""

        last_save = self._clock()
        try:
            for delta in engine.stream(fitted.messages, self.options):
                if delta.text:
                    shown = show(delta.text)
                    if shown:
                        parts.append(shown)
                        yield TextDelta(shown)
                    if self._clock() - last_save >= SAVE_EVERY_S:
                        self.history.update_message(reply.id, content="".join(parts))
                        last_save = self._clock()
                if delta.done:
                    tail = rest()
                    if tail:
                        parts.append(tail)
                        yield TextDelta(tail)
                    usage, timings = delta.usage, delta.timings
                    extra = (
                        on_end("stopped" if delta.stopped else "complete", usage) if on_end else {}
                    )
                    self.history.update_message(
                        reply.id,
                        content="".join(parts).strip(),
                        complete=not delta.stopped,
                        error="stopped by user" if delta.stopped else None,
                        prompt_tokens=usage.prompt_tokens if usage else None,
                        completion_tokens=usage.completion_tokens if usage else None,
                        ttft_s=timings.ttft_s if timings else None,
                        tokens_per_s=timings.tokens_per_s if timings else None,
                        **extra,
                    )
                    final = next(
                        m for m in self.history.messages(conversation_id) if m.id == reply.id
                    )
                    yield TurnFinished(final, delta.stopped)
                    return
        except HearthError as exc:
            parts.append(rest())
            extra = on_end(exc.message, usage) if on_end else {}
            self.history.update_message(
                reply.id, content="".join(parts), complete=False, error=exc.message, **extra
            )
            raise
        except GeneratorExit:
            parts.append(rest())
            extra = on_end("interrupted", usage) if on_end else {}
            self.history.update_message(
                reply.id, content="".join(parts), complete=False, error="interrupted", **extra
            )
            raise
