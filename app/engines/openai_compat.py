"""Engines that speak OpenAI's chat-completions API, through the official ``openai`` SDK.

One class serves three uses: OpenAI itself, Gemini through Google's
OpenAI-compatible endpoint (and any gateway), and self-hosted servers
(vLLM, llama-server, LM Studio, ``python -m llama_cpp.server``).  The SDK's
own retries are off: a retry is a new request, which needs the user's
consent again for a cloud provider.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from app.engines.base import ChatMessage, Delta, GenerationOptions, Timings, Usage
from app.engines.remote import (
    READ_TIMEOUT_S,
    RemoteEngine,
    RemoteEngineError,
    RequestTap,
    sdk_options,
)

DEFAULT_CONTEXT = 128_000  # cloud models; self-hosted servers report or are told theirs


class OpenAICompatEngine(RemoteEngine):
    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None,
        engine_name: str = "openai",
        label: str = "OpenAI",
        context_length: int = DEFAULT_CONTEXT,
        timeout_s: float = READ_TIMEOUT_S,
        on_request: RequestTap | None = None,
    ) -> None:
        import openai

        super().__init__(
            model=model,
            base_url=base_url,
            api_key=api_key,
            engine_name=engine_name,
            label=label,
            context_length=context_length,
        )
        self._client = openai.OpenAI(**sdk_options(api_key, base_url, on_request, timeout_s))

    def list_models(self) -> list[str]:
        """The server's ``/v1/models``."""
        try:
            raw = self._client.models.with_raw_response.list()
            self._check_content_type(raw.http_response)
            return sorted(m.id for m in raw.parse())
        except RemoteEngineError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    def _check_content_type(self, response: Any) -> None:
        """A web page where the API should be: a wrong base URL, or a proxy's login page."""
        headers = getattr(response, "headers", None) or {}
        ctype = str(headers.get("content-type", "")).lower()
        if ctype.startswith(("text/html", "text/plain")):
            raise RemoteEngineError(
                f"{self.host} answered with a web page ({ctype.split(';')[0]}), "
                "not an OpenAI-compatible API.",
                hint=f"Check the base URL ({self.base_url}); it usually ends in /v1.",
            )

    def stream(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[Delta]:
        self._cancel.clear()
        extra: dict[str, Any] = {}
        if options.seed is not None:
            extra["seed"] = options.seed
        start = time.perf_counter()
        first: float | None = None
        usage: Any = None
        finished = False
        stopped = False
        pieces = 0
        response: Any = None
        try:
            create: Any = self._client.chat.completions.create
            response = create(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                stream_options={"include_usage": True},
                max_tokens=options.max_tokens,
                temperature=options.temperature,
                **extra,
            )
            self._check_content_type(getattr(response, "response", None))
            for chunk in response:
                if self._cancel.is_set():
                    stopped = True
                    break
                if getattr(chunk, "usage", None):
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    text = choice.delta.content if choice.delta else None
                    if text:
                        first = first or time.perf_counter()
                        pieces += 1
                        yield Delta(text=text)
                    if choice.finish_reason:
                        finished = True
        except (GeneratorExit, RemoteEngineError):
            raise
        except Exception as exc:
            raise self._error(exc, started=first is not None) from None
        finally:
            if response is not None:
                response.close()
        if not finished and not stopped:
            raise self._incomplete()
        end = time.perf_counter()
        prompt_n = int(getattr(usage, "prompt_tokens", 0) or 0)
        out_n = int(getattr(usage, "completion_tokens", 0) or 0) or pieces
        if not prompt_n:
            prompt_n = self.prompt_tokens(messages)
        gen = end - (first or end)
        yield Delta(
            done=True,
            stopped=stopped,
            usage=Usage(prompt_n, out_n),
            timings=Timings(
                ttft_s=(first or end) - start,
                tokens_per_s=out_n / gen if gen > 0 else 0.0,
                total_s=end - start,
            ),
        )

    def close(self) -> None:
        self._client.close()
