"""One message to a cloud provider: redacted, consented, audited, restored locally."""

from __future__ import annotations

import hashlib
import json

import pytest

from app.chat.cloud import Consent, consent_to
from app.chat.session import TextDelta, TurnFinished, TurnStarted
from app.errors import HearthError, PolicyError
from app.storage.audit import EgressLog
from tests.cloud.conftest import KEY, CloudRig

MESSAGE = "Please write to Alice Johnson at alice.johnson@example.com about the invoice."
ORIGINALS = ("Alice Johnson", "alice.johnson@example.com")


def run(rig: CloudRig, text: str | None = MESSAGE, conversation: str | None = None, **kw: object):
    conv = conversation or rig.history.create_conversation().id
    plan = rig.service.plan(conv, text, rig.target(), **kw)  # type: ignore[arg-type]
    events = list(rig.service.send(plan, consent_to(plan)))
    return conv, plan, events


def test_payload_is_redacted_key_only_in_auth_and_reply_restored(rig: CloudRig) -> None:
    conv, plan, events = run(rig)
    assert plan.counts == {"PERSON": 1, "EMAIL_ADDRESS": 1}
    (received,) = rig.server.chats
    body = received.body.decode()
    for original in ORIGINALS:
        assert original not in body
    assert "<PERSON_1>" in body and "<EMAIL_ADDRESS_1>" in body
    # The key travels in the auth header only: not in the body, URL or other headers.
    assert KEY not in body and KEY not in received.path
    auth = {"authorization", "x-api-key"}
    assert any(KEY in received.headers.get(h, "") for h in auth)
    assert not [h for h, v in received.headers.items() if KEY in v and h not in auth]
    # Only this message (and the system prompt) was sent: no earlier turns by default.
    sent = received.json
    users = [m for m in sent["messages"] if m["role"] == "user"]
    assert len(users) == 1
    # The reply echoes the placeholders, split across 3-character events; shown restored.
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "<PERSON_1>" not in shown and "Alice Johnson" in shown and "alice.johnson@" in shown
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.message.complete
    stored = rig.history.messages(conv)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[0].content == MESSAGE  # the original stays local
    reply = stored[1]
    assert reply.content == shown.strip() and reply.host == "127.0.0.1" and reply.is_cloud
    assert reply.engine == rig.provider and reply.model == "gpt-4.1-mini"
    price = plan.price
    assert price is not None and reply.prompt_tokens and reply.completion_tokens
    assert reply.cost_usd == pytest.approx(price.cost(reply.prompt_tokens, reply.completion_tokens))
    # The audit row matches the bytes the server received.
    (row,) = EgressLog(rig.history).rows()
    assert row.payload_sha256 == hashlib.sha256(received.body).hexdigest()
    assert row.bytes_sent == len(received.body)
    assert row.redacted == {"PERSON": 1, "EMAIL_ADDRESS": 1}
    assert row.outcome == "complete" and row.message_id == reply.id
    assert row.cost_usd == pytest.approx(reply.cost_usd)
    assert "Alice" not in json.dumps(row.to_json())


def test_context_is_sent_only_when_asked_with_the_same_placeholders(rig: CloudRig) -> None:
    conv, _, _ = run(rig)
    follow = "And copy Alice Johnson's manager Bob Stone."
    plan = rig.service.plan(conv, follow, rig.target(), include_context=True)
    list(rig.service.send(plan, consent_to(plan)))
    sent = rig.server.chats[-1].json
    texts = [m["content"] for m in sent["messages"]]
    joined = json.dumps(texts)
    assert "Alice" not in joined and "Bob Stone" not in joined
    # Earlier turns present, and Alice keeps <PERSON_1> across messages.
    assert sum(1 for m in sent["messages"] if m["role"] == "user") == 2
    assert texts[-1].startswith("And copy <PERSON_1>") and "<PERSON_2>" in texts[-1]


def test_consent_is_for_one_plan_and_one_send(rig: CloudRig) -> None:
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, MESSAGE, rig.target())
    other = rig.service.plan(conv, "Something else.", rig.target())
    with pytest.raises(PolicyError, match="different message"):
        rig.service.send(plan, consent_to(other))
    consent = Consent(plan.id)
    list(rig.service.send(plan, consent))
    with pytest.raises(PolicyError, match="one message only"):
        rig.service.send(plan, consent)
    assert len(rig.server.chats) == 1


@pytest.mark.parametrize("mode", ["offline", "lan"])
def test_a_network_switch_after_consent_sends_nothing(rig: CloudRig, mode: str) -> None:
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, MESSAGE, rig.target())
    consent = consent_to(plan)  # the dialog was approved...
    rig.mode[0] = mode  # ...but the network mode changed while it was open
    with pytest.raises(PolicyError, match=f"network mode is {mode}"):
        rig.service.send(plan, consent)
    assert rig.server.received == [] and rig.history.messages(conv) == []
    assert EgressLog(rig.history).rows() == []


def test_without_a_key_nothing_is_sent(rig: CloudRig) -> None:
    rig.secrets.keys.clear()
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, MESSAGE, rig.target())
    with pytest.raises(PolicyError, match="No API key"):
        rig.service.send(plan, consent_to(plan))
    assert rig.server.received == []


@pytest.mark.parametrize(
    "text, kind",
    [
        ("My SSN is 536-90-4399, can you check my tax form?", "US_SSN"),
        ("I was diagnosed with diabetes last year; what should I eat?", "MEDICAL"),
        ("Use card 4111 1111 1111 1111 for the order.", "CREDIT_CARD"),
    ],
)
def test_privacy_sensitive_messages_never_go_even_redacted(
    rig: CloudRig, text: str, kind: str
) -> None:
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, text, rig.target())
    assert kind in plan.sensitive
    with pytest.raises(PolicyError, match="always stay local"):
        rig.service.check(plan)
    with pytest.raises(PolicyError, match="always stay local"):
        rig.service.send(plan, consent_to(plan))
    assert rig.server.received == []


def test_the_monthly_budget_cap_blocks_further_sends(rig: CloudRig) -> None:
    run(rig)
    spent = rig.history.messages(rig.history.list_conversations()[0].id)[-1].cost_usd
    assert spent and spent > 0
    rig.service.settings.set("costs.monthly_budget_usd", f"{spent * 1.01:.10f}")
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, "Another question.", rig.target())
    with pytest.raises(PolicyError, match="monthly cloud budget"):
        rig.service.send(plan, consent_to(plan))
    assert len(rig.server.chats) == 1


def test_an_unknown_model_shows_price_unknown_never_zero(rig: CloudRig) -> None:
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, "Hello there.", rig.target("some-new-model"))
    assert plan.price is None and plan.estimated_cost is None
    events = list(rig.service.send(plan, consent_to(plan)))
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.message.cost_usd is None


FAULTS = {
    "401": "rejected the API key",
    "429": "rate-limiting requests (HTTP 429). Try again in 7 s",
    "500": "server error (HTTP 500)",
    "cut": "broke off mid-reply",
    "malformed": "could not read",
    "hang": "did not answer in time",
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_faults_keep_the_message_and_partial_reply_and_retry_works(
    rig: CloudRig, fault: str
) -> None:
    rig.server.fault = fault
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, MESSAGE, rig.target())
    shown: list[str] = []
    with pytest.raises(HearthError) as caught:
        for event in rig.service.send(plan, consent_to(plan)):
            if isinstance(event, TextDelta):
                shown.append(event.text)
    text = caught.value.user_text()
    assert FAULTS[fault] in text
    assert KEY not in text and KEY[-12:] not in text  # never echoed, even when the server does
    user, reply = rig.history.messages(conv)
    assert user.content == MESSAGE  # the message is never lost
    assert not reply.complete and reply.error == caught.value.message
    assert reply.content == "".join(shown)  # a partial reply is kept, restored
    if fault in ("cut", "malformed"):
        assert reply.content.startswith("You sa")
    (row,) = EgressLog(rig.history).rows()
    assert row.outcome == caught.value.message
    # Retry is one step: the same stored message, a new plan and a new consent.
    rig.server.fault = None
    again = rig.service.plan(conv, None, rig.target())
    assert again.retry and again.text == MESSAGE
    events = list(rig.service.send(again, consent_to(again)))
    assert isinstance(events[0], TurnStarted) and events[0].user_message is None
    user2, reply2 = rig.history.messages(conv)
    assert user2.id == user.id and reply2.complete and "Alice Johnson" in reply2.content
    assert len(EgressLog(rig.history).rows()) == 2


def test_stop_keeps_the_partial_cloud_reply(rig: CloudRig) -> None:
    rig.server.delay_s = 0.02
    conv = rig.history.create_conversation().id
    plan = rig.service.plan(conv, MESSAGE, rig.target())
    got = 0
    for event in rig.service.send(plan, consent_to(plan)):
        if isinstance(event, TextDelta):
            got += 1
            if got == 3:
                rig.service.cancel()
        if isinstance(event, TurnFinished):
            assert event.stopped and not event.message.complete
            assert event.message.error == "stopped by user"
    assert 3 <= got <= 5
    (row,) = EgressLog(rig.history).rows()
    assert row.outcome == "stopped"


def test_outside_a_consent_the_socket_guard_refuses_a_cloud_host() -> None:
    """Even code that skipped the consent flow cannot reach a cloud host in cloud mode."""
    from app.engines.base import ChatMessage, GenerationOptions
    from app.engines.openai_compat import OpenAICompatEngine
    from app.privacy.network import enforce
    from app.privacy.offline import ConnectionGuard

    policy = enforce("cloud")
    try:
        engine = OpenAICompatEngine(model="m", base_url="http://api.example.test/v1",
                                    api_key=KEY, timeout_s=2)  # fmt: skip
        with ConnectionGuard(allow=lambda host, port: True) as seen:
            with pytest.raises(HearthError, match=r"network mode blocks api\.example\.test"):
                list(engine.stream([ChatMessage("user", "hi")], GenerationOptions(max_tokens=4)))
            # Inside a consent the guard lets it through (the name then fails to resolve here).
            with policy.consented("api.example.test"), pytest.raises(HearthError) as caught:
                list(engine.stream([ChatMessage("user", "hi")], GenerationOptions(max_tokens=4)))
        engine.close()
        assert "network mode blocks" not in caught.value.message
        assert KEY not in caught.value.user_text()
        assert any(a.host == "api.example.test" for a in seen.attempts)
    finally:
        enforce("offline")
