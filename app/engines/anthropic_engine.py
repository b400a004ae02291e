"""Claude through Anthropic's Messages API, with the official ``anthropic`` SDK.

The system prompt travels in its own field; the SDK's retries are off (a
retry is a new request and needs the user's consent again).  No sampling
temperature is sent: current Claude models choose their own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from app.engines.base import ChatMessage, Delta, GenerationOptions, Timings, Usage
from app.engines.remote import (
    READ_TIMEOUT_S,
    RemoteEngine,
    RequestTap,
    sdk_options,
)

DEFAULT_CONTEXT = 200_000


class AnthropicEngine(RemoteEngine):
    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None,
        engine_name: str = "anthropic",
        label: str = "Anthropic",
        context_length: int = DEFAULT_CONTEXT,
        timeout_s: float = READ_TIMEOUT_S,
        on_request: RequestTap | None = None,
    ) -> None:
        import anthropic

        super().__init__(
            model=model,
            base_url=base_url,
            api_key=api_key,
            engine_name=engine_name,
            label=label,
            context_length=context_length,
        )
        self._client = anthropic.Anthropic(**sdk_options(api_key, base_url, on_request, timeout_s))

    def stream(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[Delta]:
        self._cancel.clear()
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        kwargs: dict[str, Any] = {}
        if system:
            kwargs["system"] = system
        start = time.perf_counter()
        first: float | None = None
        prompt_n = out_n = 0
        finished = stopped = False
        response: Any = None
        try:
            response = self._client.messages.create(
                model=self.model,
                messages=turns,  # type: ignore[arg-type]
                max_tokens=options.max_tokens,
                stream=True,
                **kwargs,
            )
            for event in response:
                if self._cancel.is_set():
                    stopped = True
                    break
                kind = getattr(event, "type", "")
                if kind == "message_start":
                    prompt_n = int(getattr(event.message.usage, "input_tokens", 0) or 0)
                elif kind == "content_block_delta":
                    text = getattr(event.delta, "text", None)
                    if text:
                        first = first or time.perf_counter()
                        yield Delta(text=text)
                elif kind == "message_delta":
                    out_n = int(getattr(event.usage, "output_tokens", 0) or 0)
                elif kind == "message_stop":
                    finished = True
        except GeneratorExit:
            raise
        except Exception as exc:
            raise self._error(exc, started=first is not None) from None
        finally:
            if response is not None:
                response.close()
        if not finished and not stopped:
            raise self._incomplete()
        end = time.perf_counter()
        gen = end - (first or end)
        yield Delta(
            done=True,
            stopped=stopped,
            usage=Usage(prompt_n or self.prompt_tokens(messages), out_n),
            timings=Timings(
                ttft_s=(first or end) - start,
                tokens_per_s=out_n / gen if gen > 0 and out_n else 0.0,
                total_s=end - start,
            ),
        )

    def close(self) -> None:
        self._client.close()
