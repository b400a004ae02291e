"""What the HTTP engines share: timeouts, the request tap, and error messages.

The OpenAI-compatible and Anthropic engines both use the official SDKs, which
share one exception design.  :func:`api_error` turns those exceptions into
:class:`app.errors.EngineError` messages a user can act on.  No message ever
contains the API key: the server's own error text is only used for non-auth
errors, and even then any copy of the key is masked out.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.engines.base import ChatMessage, EngineInfo
from app.errors import EngineError
from app.privacy.offline import refused_by_policy

CHARS_PER_TOKEN = 4  # an estimate where the server offers no tokenizer
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class SentRequest:
    """The exact bytes of a request body, captured as it is handed to the network."""

    host: str
    body: bytes
    request_id: int = 0  # pairs the request with its answer (see ``answered``)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


RequestTap = Callable[[SentRequest], None]


def event_hooks(tap: RequestTap | None) -> dict[str, list[Callable[[Any], None]]]:
    """httpx/httpx2 event hooks reporting each request body to ``tap`` as it is handed to
    the network, and its HTTP status to ``tap.answered(request_id, status)`` when the tap
    has that method."""

    def on_request(request: Any) -> None:
        if tap is not None:
            body = bytes(request.read())
            tap(SentRequest(request.url.host.lower(), body, id(request)))

    def on_response(response: Any) -> None:
        answered = getattr(tap, "answered", None)
        if answered is not None:
            answered(id(response.request), response.status_code)

    return {"request": [on_request], "response": [on_response]}


class RemoteEngineError(EngineError):
    """A remote API failed; ``retry_after`` is set when the server asked us to wait."""

    def __init__(
        self, message: str, *, hint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


def host_of(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


def estimate_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN)) if text else 0


def http_client(tap: RequestTap | None, timeout_s: float) -> Any:
    """An ``httpx2`` client (the SDKs' transport) that reports each request body to ``tap``."""
    import httpx2

    return httpx2.Client(
        timeout=httpx2.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S)),
        event_hooks=event_hooks(tap),
        trust_env=False,  # no proxy from the environment that the user did not choose here
    )


def sdk_options(
    api_key: str | None, base_url: str, tap: RequestTap | None, timeout_s: float
) -> dict[str, Any]:
    """What both official SDK clients are built with: retries off (a retry would be a new
    request without a new consent), our tapped HTTP client, and some key (self-hosted
    servers often need none; the SDKs insist on a value)."""
    return {
        "api_key": api_key or "no-key",
        "base_url": base_url,
        "max_retries": 0,
        "http_client": http_client(tap, timeout_s),
    }


def _mask(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, "…" + secret[-4:])
    return text


def _server_message(exc: Any, secret: str | None) -> str:
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            message = str(inner.get("message") or "")
        elif isinstance(inner, str):
            message = inner
    message = " ".join(_mask(message, secret).split())
    return message[:200]


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def api_error(
    exc: BaseException, label: str, host: str, secret: str | None, *, started: bool = False
) -> EngineError:
    """A user-facing error for an SDK/transport exception (``label``: e.g. "OpenAI").

    ``started``: the reply had begun streaming, so a connection error is a cut.
    """
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if status == 200:  # an error event inside a stream that had begun
        detail = _server_message(exc, secret) or "no reason given"
        return RemoteEngineError(f"{label} stopped the reply with an error: {detail}")
    if started and status is None and "Timeout" not in name and not isinstance(exc, ValueError):
        detail = _server_message(exc, secret)
        if detail:
            return RemoteEngineError(f"{label} stopped the reply with an error: {detail}")
        return RemoteEngineError(
            f"The connection to {host} broke off mid-reply; the partial reply was kept."
        )
    if isinstance(status, int):
        if status == 401:
            return RemoteEngineError(
                f"{label} rejected the API key (HTTP 401).",
                hint="Store a valid key in Tools → API keys (or 'hearth keys set').",
            )
        if status == 403:
            return RemoteEngineError(f"{label} refused access (HTTP 403).")
        if status == 429:
            wait = _retry_after(exc)
            when = f" Try again in {wait:g} s." if wait is not None else " Try again later."
            return RemoteEngineError(
                f"{label} is rate-limiting requests (HTTP 429).{when}", retry_after=wait
            )
        detail = _server_message(exc, secret)
        detail = f": {detail}" if detail else "."
        if status >= 500:
            return RemoteEngineError(f"{label} had a server error (HTTP {status}){detail}")
        return RemoteEngineError(f"{label} refused the request (HTTP {status}){detail}")
    if "Timeout" in name:
        return RemoteEngineError(f"{label} at {host} did not answer in time.")
    if refused_by_policy(exc):
        return RemoteEngineError(
            f"Hearth's network mode blocks {host}; nothing was sent.",
            hint="Change the network mode if you meant to use it.",
        )
    if "Connection" in name or isinstance(exc, ConnectionError | OSError):
        return RemoteEngineError(
            f"Could not connect to {label} at {host}.",
            hint="Check the address and that the server is running.",
        )
    if isinstance(exc, ValueError):
        return RemoteEngineError(f"{label} sent a reply Hearth could not read (malformed stream).")
    module = type(exc).__module__.split(".")[0]
    if module in ("httpx", "httpx2", "httpcore", "h11"):
        return RemoteEngineError(f"The connection to {host} broke off mid-reply.")
    return RemoteEngineError(f"{label} failed ({name}).")


class RemoteEngine:
    """What the HTTP engines share: identity, estimated token counts, and the cancel flag."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None,
        engine_name: str,
        label: str,
        context_length: int,
    ) -> None:
        import threading

        self.model = model
        self.base_url = base_url
        self.engine_name = engine_name
        self.label = label
        self.host = host_of(base_url)
        self._key = api_key
        self._context = context_length
        self._cancel = threading.Event()

    def info(self) -> EngineInfo:
        return EngineInfo(
            self.engine_name, self.model, self._context, True, {"base_url": self.base_url}
        )

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        return sum(self.count_tokens(m.content) + 4 for m in messages)

    def cancel(self) -> None:
        self._cancel.set()

    def _error(self, exc: BaseException, *, started: bool = False) -> EngineError:
        return api_error(exc, self.label, self.host, self._key, started=started)

    def _incomplete(self) -> RemoteEngineError:
        return RemoteEngineError(
            f"The reply from {self.host} ended before it was complete; the partial reply was kept."
        )
