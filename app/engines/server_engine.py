"""A self-hosted OpenAI-compatible server (vLLM, llama-server, LM Studio, llama_cpp.server).

A server on this computer, or one the user marked as their own in
``network.trusted_hosts`` (allowed in ``lan`` mode), needs no per-message
consent.  Any other host is a cloud provider as far as Hearth is concerned:
it is refused here and can be used through the consent flow instead.
Requests to a server on another machine are written to the egress audit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.config import Settings
from app.engines.openai_compat import OpenAICompatEngine
from app.engines.remote import RequestTap, host_of
from app.errors import EngineError, PolicyError
from app.privacy.offline import is_loopback

if TYPE_CHECKING:
    from app.secrets import SecretStore

KEY_NAME = "server"  # the keyring entry of the server's optional API key


def check_server_host(base_url: str, settings: Settings) -> str:
    """The server's host, if Hearth may talk to it without consent; else PolicyError."""
    host = host_of(base_url)
    if not host:
        raise EngineError(f"engines.server.base_url is not a URL: {base_url!r}.")
    if is_loopback(host):
        return host
    mode = settings.network.mode
    trusted = {h.lower() for h in settings.network.trusted_hosts}
    if host not in trusted:
        raise PolicyError(
            f"{host} is not on this computer and is not marked as your own server, so "
            "Hearth treats it as a cloud provider. Nothing was sent.",
            hint=f"If you run it, add it with 'hearth settings set network.trusted_hosts {host}' "
            "(lan mode); otherwise use it with --cloud and a provider entry.",
        )
    if mode == "offline":
        raise PolicyError(
            f"The network mode is offline: only servers on this computer can be used, "
            f"not {host}. Nothing was sent.",
            hint="Switch to the local-network mode to use your own servers.",
        )
    return host


def server_key(secrets: SecretStore | None) -> str | None:
    """The server's optional key; a missing or unusable keyring means no key."""
    if secrets is None:
        return None
    from app.secrets import SecretStoreUnavailableError

    try:
        return secrets.get(KEY_NAME)
    except SecretStoreUnavailableError:
        return None


def open_server_engine(
    settings: Settings,
    model: str | None,
    *,
    secrets: SecretStore | None = None,
    on_request: RequestTap | None = None,
) -> OpenAICompatEngine:
    base_url = settings.engines.server.base_url
    check_server_host(base_url, settings)
    engine = OpenAICompatEngine(
        model=model or "",
        base_url=base_url,
        api_key=server_key(secrets),
        engine_name="server",
        label="The self-hosted server",
        context_length=settings.model.n_ctx,
        timeout_s=settings.network.request_timeout_s,
        on_request=on_request,
    )
    if not model:
        models = engine.list_models()
        if not models:
            engine.close()
            raise EngineError(f"The server at {base_url} lists no models.")
        engine.model = models[0]
    return engine
