"""Turning chat messages into one prompt string for a completion model.

A GGUF that carries a chat template (``tokenizer.chat_template``) is
formatted with that Jinja template, rendered in a sandbox exactly as
llama.cpp's own server does.  A model without one (Hearth's embedded default
is a *base* model) gets the plain transcript below, and generation stops as
soon as the model starts writing the next ``User:`` line::

    <system prompt>

    User: <message>
    Assistant: <reply>
    User: <message>
    Assistant:
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.engines.base import ChatMessage
from app.errors import ModelError

FALLBACK_STOP = ["\nUser:", "\nAssistant:", "\nUSER:"]


@dataclass(frozen=True)
class FormattedPrompt:
    text: str
    stop: list[str]


def transcript_prompt(messages: list[ChatMessage]) -> FormattedPrompt:
    """The documented fallback for models without a chat template."""
    parts: list[str] = []
    for message in messages:
        if message.role == "system":
            parts.append(message.content.strip() + "\n")
        elif message.role == "user":
            parts.append(f"User: {message.content.strip()}")
        else:
            parts.append(f"Assistant: {message.content.strip()}")
    parts.append("Assistant:")
    return FormattedPrompt("\n".join(parts), list(FALLBACK_STOP))


class TemplateFormatter:
    """Renders a GGUF chat template (Jinja) with a generation prompt."""

    def __init__(self, template: str, bos_token: str, eos_token: str) -> None:
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_exception
        env.globals["strftime_now"] = lambda fmt: date.today().strftime(fmt)
        try:
            self._template = env.from_string(template)
        except jinja2.TemplateError as exc:
            raise ModelError(f"The model's chat template is invalid: {exc}.") from None
        self.bos_token = bos_token
        self.eos_token = eos_token

    def __call__(self, messages: list[ChatMessage]) -> FormattedPrompt:
        try:
            text = self._render(messages)
        except jinja2.TemplateError as exc:
            # Some templates refuse a system role: fold it into the first user turn.
            if not messages or messages[0].role != "system" or len(messages) < 2:
                raise ModelError(f"The model's chat template failed: {exc}.") from None
            system, first, *rest = messages
            merged = ChatMessage(first.role, f"{system.content}\n\n{first.content}")
            try:
                text = self._render([merged, *rest])
            except jinja2.TemplateError as exc2:
                raise ModelError(f"The model's chat template failed: {exc2}.") from None
        stop = [self.eos_token] if self.eos_token else []
        return FormattedPrompt(text, stop)

    def _render(self, messages: list[ChatMessage]) -> str:
        return self._template.render(
            messages=[{"role": m.role, "content": m.content} for m in messages],
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            add_generation_prompt=True,
        )


def _raise_exception(message: str) -> None:
    raise jinja2.TemplateError(message)
