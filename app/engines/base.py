"""The engine seam: one Protocol every inference backend implements.

Contract of :meth:`Engine.stream`:

* ``messages`` is the whole prompt, oldest first, already trimmed to fit the
  context window (the chat layer does that with :meth:`Engine.count_tokens`).
* It yields :class:`Delta` objects.  Every delta but the last carries text;
  the last one has ``done=True`` and carries :class:`Usage` and
  :class:`Timings` (its text may be empty).
* :meth:`Engine.cancel` may be called from any thread.  The engine checks the
  flag between tokens, so at most one more token arrives; the stream then
  ends normally with ``done=True`` and ``stopped=True``.
* Failures are raised as :class:`app.errors.EngineError` (or a subclass of
  :class:`app.errors.HearthError`), never as the backend's own exceptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 512
    temperature: float = 0.7
    seed: int | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Timings:
    ttft_s: float = 0.0
    tokens_per_s: float = 0.0
    total_s: float = 0.0


@dataclass(frozen=True)
class Delta:
    text: str = ""
    done: bool = False
    stopped: bool = False
    usage: Usage | None = None
    timings: Timings | None = None


@dataclass(frozen=True)
class EngineInfo:
    engine: str
    model: str
    context_length: int
    chat_template: bool
    details: dict[str, str] = field(default_factory=dict)


class Engine(Protocol):
    """An inference backend. See the module docstring for the contract."""

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> Iterator[Delta]: ...

    def cancel(self) -> None: ...

    def info(self) -> EngineInfo: ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens the formatted prompt for ``messages`` takes."""
        ...

    def close(self) -> None: ...
