from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.chat.session import ChatService, TextDelta, TurnFinished, TurnStarted, fit_history
from app.engines.base import ChatMessage, GenerationOptions
from app.errors import ContextOverflowError, EngineError, UsageError
from app.storage.history import History
from tests.fakes import FakeEngine


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    h = History(tmp_path / "hearth.db")
    yield h
    h.close()


def test_user_message_is_stored_before_generation_and_reply_after(history: History) -> None:
    conv = history.create_conversation()
    seen_during_stream: list[list[str]] = []
    engine = FakeEngine(
        "one two three",
        on_token=lambda i: seen_during_stream.append([m.role for m in history.messages(conv.id)]),
    )
    service = ChatService(history, engine, system_prompt="Be kind.")
    events = list(service.send(conv.id, "Hello?"))
    assert seen_during_stream[0] == ["user", "assistant"]
    assert isinstance(events[0], TurnStarted)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "one two three"
    final = events[-1]
    assert isinstance(final, TurnFinished) and not final.stopped
    stored = history.messages(conv.id)
    assert [(m.role, m.content, m.complete) for m in stored] == [
        ("user", "Hello?", True),
        ("assistant", "one two three", True),
    ]
    assert stored[1].engine == "fake" and stored[1].completion_tokens == 3
    assert stored[1].tokens_per_s == 100.0
    assert engine.prompts[0][0] == ChatMessage("system", "Be kind.")
    assert history.get_conversation(conv.id).title == "Hello?"


def test_reply_is_saved_as_it_grows(history: History) -> None:
    conv = history.create_conversation()
    ticks = iter(range(1000))
    engine = FakeEngine("a b c d e f")
    service = ChatService(history, engine, clock=lambda: float(next(ticks)))
    events = service.send(conv.id, "go")
    partials = []
    for event in events:
        if isinstance(event, TextDelta):
            partials.append(history.messages(conv.id)[-1].content)
    # the clock advances a second per call, so every delta is written through
    assert partials[-1].startswith("a b c d e")
    assert history.messages(conv.id)[-1].complete


def test_cancel_keeps_the_partial_reply_marked_incomplete(history: History) -> None:
    conv = history.create_conversation()
    engine = FakeEngine("w " * 50)
    service = ChatService(history, engine)
    engine.on_token = lambda i: service.cancel() if i == 2 else None
    events = list(service.send(conv.id, "long please"))
    final = events[-1]
    assert isinstance(final, TurnFinished) and final.stopped
    reply = history.messages(conv.id)[-1]
    assert reply.content == "w w w" and reply.complete is False
    assert reply.error == "stopped by user"


def test_engine_failure_keeps_the_user_message_and_partial(history: History) -> None:
    conv = history.create_conversation()
    service = ChatService(history, FakeEngine("x y z", fail_after=2))
    with pytest.raises(EngineError):
        list(service.send(conv.id, "question"))
    user, reply = history.messages(conv.id)
    assert user.content == "question"
    assert reply.content == "x y" and not reply.complete and "failed" in (reply.error or "")


def test_abandoned_stream_is_stored_as_interrupted(history: History) -> None:
    conv = history.create_conversation()
    events = ChatService(history, FakeEngine("p q r s")).send(conv.id, "hi")
    next(events), next(events)
    events.close()
    reply = history.messages(conv.id)[-1]
    assert reply.content == "p" and reply.error == "interrupted" and not reply.complete


def test_empty_message_is_refused_and_nothing_stored(history: History) -> None:
    conv = history.create_conversation()
    with pytest.raises(UsageError):
        list(ChatService(history, FakeEngine()).send(conv.id, " \n\t"))
    assert history.messages(conv.id) == []


def test_message_too_big_for_context_is_refused_and_not_stored(history: History) -> None:
    conv = history.create_conversation()
    service = ChatService(history, FakeEngine(n_ctx=300), options=GenerationOptions(max_tokens=50))
    with pytest.raises(ContextOverflowError, match="context window"):
        list(service.send(conv.id, "word " * 400))
    assert history.messages(conv.id) == []


def test_oldest_turns_are_dropped_with_a_count(history: History) -> None:
    conv = history.create_conversation()
    for i in range(10):
        history.add_message(conv.id, "user", f"question {i} " + "pad " * 20)
        history.add_message(conv.id, "assistant", f"answer {i} " + "pad " * 20)
    engine = FakeEngine("ok", n_ctx=300)
    service = ChatService(history, engine, options=GenerationOptions(max_tokens=50))
    events = list(service.send(conv.id, "latest"))
    started = events[0]
    assert isinstance(started, TurnStarted) and started.dropped_messages > 0
    prompt = engine.prompts[0]
    assert prompt[-1] == ChatMessage("user", "latest")
    assert prompt[0].role == "user"  # never starts with an orphaned reply
    assert engine.prompt_tokens(prompt) <= 300 - 50
    assert "question 9" in prompt[-3].content


def test_fit_history_keeps_everything_when_it_fits() -> None:
    engine = FakeEngine()
    past = [ChatMessage("user", "a"), ChatMessage("assistant", "b")]
    fitted = fit_history(engine, "sys", past, ChatMessage("user", "c"), 100, 4096)
    assert fitted.dropped == 0 and len(fitted.messages) == 4


def test_regenerate_replaces_the_last_reply(history: History) -> None:
    conv = history.create_conversation()
    list(ChatService(history, FakeEngine("first answer")).send(conv.id, "q"))
    events = list(ChatService(history, FakeEngine("second answer")).regenerate(conv.id))
    assert isinstance(events[0], TurnStarted) and events[0].user_message is None
    assert [m.content for m in history.messages(conv.id)] == ["q", "second answer"]


def test_regenerate_without_a_user_message_is_a_clear_error(history: History) -> None:
    conv = history.create_conversation()
    with pytest.raises(UsageError, match="no message"):
        list(ChatService(history, FakeEngine()).regenerate(conv.id))
