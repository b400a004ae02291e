"""The Ollama engine: chat with a model served by a local (or LAN) Ollama server.

Uses the official ``ollama`` client.  Ollama has no tokenize endpoint, so
token counts for prompt fitting are estimated (4 characters per token); the
usage stored with each reply is Ollama's own count.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from app.engines.base import ChatMessage, Delta, GenerationOptions, Timings, Usage
from app.engines.remote import RemoteEngine, RequestTap, event_hooks
from app.errors import EngineError
from app.privacy.offline import refused_by_policy

DEFAULT_URL = "http://127.0.0.1:11434"


def _error(exc: Exception, url: str) -> EngineError:
    import httpx
    import ollama

    if isinstance(exc, ollama.ResponseError):
        return EngineError(f"Ollama answered with an error ({exc.status_code}): {exc.error}")
    if isinstance(exc, httpx.TimeoutException):
        return EngineError(f"Ollama at {url} did not answer in time.")
    if refused_by_policy(exc):
        return EngineError(
            f"Hearth's network mode blocks Ollama at {url}; nothing was sent.",
            hint="An Ollama on another machine needs the lan network mode (and, unless it "
            "has a private address, its host in network.trusted_hosts).",
        )
    if isinstance(exc, httpx.HTTPError | ConnectionError | OSError):
        return EngineError(
            f"Ollama is not reachable at {url}.",
            hint="Start it with 'ollama serve', or set engines.ollama.base_url.",
        )
    return EngineError(f"Ollama failed: {type(exc).__name__}.")


def _client(base_url: str, timeout_s: float, tap: RequestTap | None) -> Any:
    """The official client, reporting each request to ``tap`` (the egress audit of requests
    to another machine), and ignoring proxy variables the user did not set for Hearth."""
    import ollama

    return ollama.Client(
        host=base_url, timeout=timeout_s, trust_env=False, event_hooks=event_hooks(tap)
    )


class OllamaEngine(RemoteEngine):
    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_URL,
        timeout_s: float = 120,
        on_request: RequestTap | None = None,
    ) -> None:

        if not model:
            raise EngineError(
                "Name the Ollama model to use (for example --model llama3.2).",
                hint="'hearth models list' shows the models your Ollama server has.",
            )
        super().__init__(
            model=model,
            base_url=base_url,
            api_key=None,
            engine_name="ollama",
            label="Ollama",
            context_length=4096,
        )
        self._client = _client(base_url, timeout_s, on_request)
        self._context = self._context_length()

    def _context_length(self) -> int:
        try:
            shown = self._client.show(self.model)
        except Exception as exc:
            raise _error(exc, self.base_url) from None
        info: dict[str, Any] = dict(getattr(shown, "modelinfo", None) or {})
        for key, value in info.items():
            if key.endswith(".context_length") and isinstance(value, int):
                return value
        return 4096

    def list_models(self) -> list[str]:
        try:
            return [m.model or "" for m in self._client.list().models]
        except Exception as exc:
            raise _error(exc, self.base_url) from None

    def stream(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[Delta]:
        self._cancel.clear()
        opts: dict[str, Any] = {
            "num_predict": options.max_tokens,
            "temperature": options.temperature,
        }
        if options.seed is not None:
            opts["seed"] = options.seed
        start = time.perf_counter()
        first: float | None = None
        stopped = False
        final: Any = None
        try:
            chunks = self._client.chat(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                options=opts,
            )
            for chunk in chunks:
                if self._cancel.is_set():
                    stopped = True
                    break
                text = chunk.message.content or "" if chunk.message else ""
                if text:
                    if first is None:
                        first = time.perf_counter()
                    yield Delta(text=text)
                if chunk.done:
                    final = chunk
                    break
        except Exception as exc:
            if isinstance(exc, GeneratorExit):
                raise
            raise _error(exc, self.base_url) from None
        end = time.perf_counter()
        prompt_n = int(getattr(final, "prompt_eval_count", 0) or 0)
        out_n = int(getattr(final, "eval_count", 0) or 0)
        eval_ns = int(getattr(final, "eval_duration", 0) or 0)
        rate = out_n / (eval_ns / 1e9) if out_n and eval_ns else 0.0
        yield Delta(
            done=True,
            stopped=stopped,
            usage=Usage(prompt_n, out_n),
            timings=Timings(ttft_s=(first or end) - start, tokens_per_s=rate, total_s=end - start),
        )

    def close(self) -> None:
        self._client._client.close()


def ollama_status(
    base_url: str, timeout_s: float = 3.0, on_request: RequestTap | None = None
) -> dict[str, Any]:
    """{"base_url", "status", "models"}: running / not running / unreachable / an error."""
    import httpx
    import ollama

    doc: dict[str, Any] = {"base_url": base_url, "status": "running", "models": []}
    client = _client(base_url, timeout_s, on_request)
    try:
        doc["models"] = sorted(m.model or "" for m in client.list().models)
    except ollama.ResponseError as exc:
        doc["status"] = f"error ({exc.status_code}: {exc.error})"
    except (httpx.HTTPError, OSError) as exc:
        if refused_by_policy(exc):
            doc["status"] = "blocked by the network mode"
        elif isinstance(exc, ConnectionError | httpx.ConnectError):
            doc["status"] = "not running"  # nothing listens there (the client's own error)
        else:
            doc["status"] = "unreachable"
    finally:
        client._client.close()
    return doc
