"""A deterministic engine for core tests: one word is one token."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from app.engines.base import ChatMessage, Delta, EngineInfo, GenerationOptions, Timings, Usage
from app.engines.prompt_format import transcript_prompt
from app.errors import EngineError


class FakeEngine:
    def __init__(
        self,
        reply: str = "Hello there friend",
        *,
        n_ctx: int = 4096,
        fail_after: int | None = None,
        on_token: Callable[[int], None] | None = None,
    ) -> None:
        self.reply = reply
        self.n_ctx = n_ctx
        self.fail_after = fail_after
        self.on_token = on_token
        self.prompts: list[list[ChatMessage]] = []
        self._cancel = threading.Event()

    def info(self) -> EngineInfo:
        return EngineInfo("fake", "fake-model", self.n_ctx, False)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        return self.count_tokens(transcript_prompt(messages).text)

    def cancel(self) -> None:
        self._cancel.set()

    def stream(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[Delta]:
        self._cancel.clear()
        self.prompts.append(list(messages))
        words = self.reply.split(" ")
        sent = 0
        stopped = False
        for i, word in enumerate(words[: options.max_tokens]):
            if self._cancel.is_set():
                stopped = True
                break
            if self.fail_after is not None and i == self.fail_after:
                raise EngineError("the fake engine failed")
            yield Delta(text=word if i == 0 else " " + word)
            sent += 1
            if self.on_token:
                self.on_token(i)
        yield Delta(
            done=True,
            stopped=stopped,
            usage=Usage(self.prompt_tokens(messages), sent),
            timings=Timings(0.01, 100.0, 0.05),
        )

    def close(self) -> None:
        pass
