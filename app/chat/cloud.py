"""Sending one message to a cloud provider, only with the user's consent for it.

Two steps, so a front end can show the user exactly what will leave:

1. :meth:`CloudService.plan` redacts every message that would be sent (the
   new message, and earlier turns only when asked), with the conversation's
   stable placeholders, and estimates the cost.  Nothing is stored or sent.
2. :meth:`CloudService.send` takes that plan and a :class:`Consent` the user
   gave for it.  It checks everything again at the moment of sending (the
   network mode may have changed while the dialog was open; a consent is
   good for one send only), stores the user's message, opens the provider's
   host for this one request, audits the exact bytes sent, and streams the
   reply with placeholders restored locally.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.chat.routing import CLOUD_APPROVED, sensitive_types
from app.chat.session import ChatService, FittedPrompt, TurnEvent, _as_prompt
from app.config import KNOWN_PROVIDERS, Settings
from app.engines.base import ChatMessage, Engine, Usage
from app.engines.remote import SentRequest, estimate_tokens, host_of
from app.errors import PolicyError, UsageError
from app.privacy.vault import StreamRestorer, Vault

if TYPE_CHECKING:
    from app.costs.pricing import Price, PriceTable
    from app.privacy.redactor import Entity, Redactor
    from app.secrets import SecretStore
    from app.storage.history import History

LABELS = {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google Gemini"}
PLACEHOLDER_NOTE = (
    "Some details were replaced by placeholders such as <PERSON_1>. "
    "Keep every placeholder exactly as written when you refer to it."
)


@dataclass(frozen=True)
class Provider:
    name: str
    kind: str  # "openai" | "anthropic": the wire protocol
    base_url: str

    @property
    def host(self) -> str:
        return host_of(self.base_url)

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


def providers(settings: Settings) -> dict[str, Provider]:
    return {
        name: Provider(name, p.kind, p.base_url) for name, p in sorted(settings.providers.items())
    }


def parse_target(target: str, settings: Settings) -> tuple[Provider, str]:
    """``"openai:gpt-4.1-mini"`` → (provider, model)."""
    name, sep, model = target.partition(":")
    known = providers(settings)
    if not sep or not model.strip():
        raise UsageError(
            f"Give the cloud target as PROVIDER:MODEL (for example openai:gpt-4.1-mini), "
            f"not {target!r}."
        )
    provider = known.get(name.strip().lower())
    if provider is None:
        raise UsageError(
            f"Unknown provider {name!r}. Known: {', '.join(known)}.",
            hint="Add one with 'hearth settings set providers.NAME.base_url URL'.",
        )
    return provider, model.strip()


@dataclass(frozen=True)
class CloudPlan:
    """Exactly what a cloud send would transmit, for the user to approve."""

    id: str
    conversation_id: str | None  # None: a new conversation, created when sent
    text: str  # the user's message as typed (stored locally, never sent as is)
    provider: Provider
    model: str
    messages: list[ChatMessage]  # redacted: the payload, message by message
    counts: dict[str, int]  # redacted entity types in the payload
    sensitive: dict[str, int]  # local-only types found: the plan may not be sent
    originals: dict[str, str]  # placeholder -> original value (shown locally only)
    vault_entries: list[tuple[str, str, str]]
    prompt_tokens: int  # estimated
    max_output_tokens: int
    price: Price | None
    include_context: bool
    retry: bool = False  # answering the last stored user message again
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def estimated_cost(self) -> float | None:
        """Prompt tokens × input price + the longest reply × output price (None: unknown)."""
        if self.price is None:
            return None
        return self.price.cost(self.prompt_tokens, self.max_output_tokens)

    @property
    def redacted_total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Consent:
    """The user's yes to one plan: spent by the first send."""

    plan_id: str
    given_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    used: bool = False


def consent_to(plan: CloudPlan) -> Consent:
    return Consent(plan.id)


class CloudService:
    def __init__(
        self,
        history: History,
        settings: Settings,
        redactor: Redactor,
        secrets: SecretStore,
        prices: PriceTable,
        *,
        network_mode: Callable[[], str] | None = None,
        engine_factory: Callable[..., Engine] | None = None,
    ) -> None:
        self.history = history
        self.settings = settings
        self.redactor = redactor
        self.secrets = secrets
        self.prices = prices
        self._mode = network_mode or self._live_mode
        self._engine_factory = engine_factory or make_engine
        self._lock = threading.Lock()
        self._current: Engine | None = None

    def _live_mode(self) -> str:
        from app.privacy.network import current_policy

        policy = current_policy()
        return policy.mode if policy is not None else self.settings.network.mode

    # -- step 1: the plan ---------------------------------------------------------
    def plan(
        self,
        conversation_id: str | None,
        text: str | None,
        target: str,
        *,
        include_context: bool = False,
        entities: list[Entity] | None = None,
    ) -> CloudPlan:
        """Redact what would be sent. ``text=None``: answer the last user message again."""
        provider, model = parse_target(target, self.settings)
        stored = self.history.messages(conversation_id) if conversation_id else []
        retry = text is None
        if retry:
            while stored and stored[-1].role == "assistant":
                stored.pop()
            if not stored:
                raise UsageError("There is no message to send again in this conversation.")
            text = stored.pop().content
            entities = None
        assert text is not None
        if not text.strip():
            raise UsageError("Type a message first: an empty message is not sent.")
        rows = self.history.vault_entries(conversation_id) if conversation_id else []
        vault = Vault.from_entries(rows)
        counts: Counter[str] = Counter()
        sensitive: Counter[str] = Counter()
        used: dict[str, str] = {}

        def redact(content: str, spans: list[Entity] | None = None) -> str:
            found = self.redactor.analyze(content)
            sensitive.update(sensitive_types(content, found, self.settings))
            result = self.redactor.redact(
                content, vault, entities=found if spans is None else spans
            )
            for e in result.entities:
                token = vault.by_value[(e.type, content[e.start : e.end])]
                used[token] = content[e.start : e.end]
            counts.update(result.counts)
            return result.redacted

        payload: list[ChatMessage] = []
        if include_context:
            payload += [ChatMessage(m.role, redact(m.content)) for m in _as_prompt(stored)]
        payload.append(ChatMessage("user", redact(text, entities)))
        system = self.settings.model.system_prompt.strip()
        if counts:
            system = f"{system}\n\n{PLACEHOLDER_NOTE}".strip()
        if system:
            payload.insert(0, ChatMessage("system", system))
        max_out = self.settings.model.max_tokens
        tokens = sum(estimate_tokens(m.content) + 4 for m in payload)
        return CloudPlan(
            id=uuid.uuid4().hex,
            conversation_id=conversation_id,
            text=text,
            provider=provider,
            model=model,
            messages=payload,
            counts=dict(counts),
            sensitive=dict(sensitive),
            originals=used,
            vault_entries=vault.entries(),
            prompt_tokens=tokens,
            max_output_tokens=max_out,
            price=self.prices.get(model),
            include_context=include_context,
            retry=retry,
        )

    # -- step 2: the send ---------------------------------------------------------
    def check(self, plan: CloudPlan) -> None:
        """Raise :class:`PolicyError` if ``plan`` may not be sent now."""
        mode = self._mode()
        if mode != "cloud":
            raise PolicyError(
                f"The network mode is {mode}, so nothing was sent to {plan.provider.label}.",
                hint="Switch the network mode to cloud to send a message you approve.",
            )
        from app.chat.routing import check_cloud_allowed

        check_cloud_allowed(plan, self.settings, self.history)

    def send(self, plan: CloudPlan, consent: Consent) -> Iterator[TurnEvent]:
        with self._lock:
            if consent.plan_id != plan.id:
                raise PolicyError(
                    "That consent was given for a different message; nothing was sent."
                )
            if consent.used:
                raise PolicyError(
                    "A consent covers one message only; nothing was sent.",
                    hint="Approve the message again to send it again.",
                )
            consent.used = True
        self.check(plan)
        return self._stream(plan, self.require_key(plan))

    def require_key(self, plan: CloudPlan) -> str:
        """The provider's key from the OS keyring, or PolicyError (a keyring call: slow)."""
        key = self.secrets.get(plan.provider.name)
        if not key:
            raise PolicyError(
                f"No API key is stored for {plan.provider.label}; nothing was sent.",
                hint=f"Add one in Tools → API keys or with 'hearth keys set {plan.provider.name}'.",
            )
        return key

    def cancel(self) -> None:
        engine = self._current
        if engine is not None:
            engine.cancel()

    def _stream(self, plan: CloudPlan, key: str | None) -> Iterator[TurnEvent]:
        from app.privacy.network import current_policy
        from app.storage.audit import EgressLog

        history = self.history
        audit = EgressLog(history)
        reply_id: list[str] = []
        audit_rows: list[int] = []

        def tap(sent: SentRequest) -> None:
            audit_rows.append(
                audit.record(
                    provider=plan.provider.name,
                    host=sent.host,
                    model=plan.model,
                    payload_sha256=sent.sha256,
                    bytes_sent=len(sent.body),
                    redacted=plan.counts,
                    message_id=reply_id[0] if reply_id else None,
                )
            )

        def on_end(outcome: str, usage: Usage | None) -> dict[str, Any]:
            cost = None
            if usage is not None and plan.price is not None:
                cost = plan.price.cost(usage.prompt_tokens, usage.completion_tokens)
            for row in audit_rows:
                audit.finish(
                    row,
                    outcome=outcome,
                    prompt_tokens=usage.prompt_tokens if usage else None,
                    completion_tokens=usage.completion_tokens if usage else None,
                    cost_usd=cost,
                )
            return {"cost_usd": cost}

        engine = self._engine_factory(plan, key, tap, self.settings.network.request_timeout_s)
        self._current = engine
        service = ChatService(history, engine, options=self.settings.model.generation_options())
        user = None
        conv = plan.conversation_id or history.create_conversation().id
        if plan.retry:
            messages = history.messages(conv)
            while messages and messages[-1].role == "assistant":
                history.delete_message(messages.pop().id)
        else:
            user = history.add_message(conv, "user", plan.text)
            if len(history.messages(conv)) == 1:
                service.name_from_first_message(conv, plan.text)
        history.save_vault_entries(conv, plan.vault_entries)
        vault = Vault.from_entries(plan.vault_entries)
        policy = current_policy()
        fitted = FittedPrompt(plan.messages, 0, plan.prompt_tokens)
        fields = {"host": plan.provider.host, "route": CLOUD_APPROVED}
        try:
            events = service.stream_reply(
                conv,
                user,
                fitted,
                restorer=StreamRestorer(vault),
                fields=fields,
                on_end=on_end,
            )
            if policy is None:
                yield from _capture_id(events, reply_id)
            else:
                with policy.consented(plan.provider.host):
                    yield from _capture_id(events, reply_id)
        finally:
            self._current = None
            engine.close()


def _capture_id(events: Iterator[TurnEvent], sink: list[str]) -> Iterator[TurnEvent]:
    from app.chat.session import TurnStarted

    for event in events:
        if isinstance(event, TurnStarted):
            sink.append(event.assistant_message_id)
        yield event


def make_engine(
    plan: CloudPlan, key: str | None, tap: Callable[[SentRequest], None], timeout_s: float
) -> Engine:
    provider = plan.provider
    kwargs: dict[str, Any] = {
        "model": plan.model,
        "base_url": provider.base_url,
        "api_key": key,
        "engine_name": provider.name,
        "label": provider.label,
        "timeout_s": timeout_s,
        "on_request": tap,
    }
    if provider.kind == "anthropic":
        from app.engines.anthropic_engine import AnthropicEngine

        return AnthropicEngine(**kwargs)
    from app.engines.openai_compat import OpenAICompatEngine

    return OpenAICompatEngine(**kwargs)


__all__ = ["KNOWN_PROVIDERS", "CloudPlan", "CloudService", "Consent", "Provider", "consent_to"]
