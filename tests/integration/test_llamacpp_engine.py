"""The real default model through Hearth's llama.cpp engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engines.base import ChatMessage, GenerationOptions
from app.engines.llamacpp import LlamaCppEngine, physical_cores
from app.errors import ModelError

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppEngine]:
    from app.catalog.default_model import prepare_default_model

    path = prepare_default_model(tmp_path_factory.mktemp("engine-model"))
    eng = LlamaCppEngine(path, model_name="gemma", n_ctx=2048)
    yield eng
    eng.close()


def test_default_model_has_no_template_so_the_transcript_is_used(engine: LlamaCppEngine) -> None:
    info = engine.info()
    assert info.chat_template is False
    assert info.context_length == 2048
    assert info.details["threads"] == str(physical_cores())
    prompt = engine.format([ChatMessage("user", "Hi")])
    assert prompt.text.endswith("User: Hi\nAssistant:")


def test_stream_yields_text_then_usage_and_timings(engine: LlamaCppEngine) -> None:
    msgs = [ChatMessage("user", "Name three colors.")]
    deltas = list(engine.stream(msgs, GenerationOptions(max_tokens=24, temperature=0.0, seed=1)))
    *texts, last = deltas
    assert texts and all(d.text and not d.done for d in texts)
    assert last.done and last.usage and last.timings
    assert last.usage.prompt_tokens == engine.prompt_tokens(msgs)
    assert 1 <= last.usage.completion_tokens <= 26
    assert last.timings.ttft_s > 0
    assert last.timings.tokens_per_s > 0 or last.usage.completion_tokens <= 1


def test_cancel_stops_within_one_token(engine: LlamaCppEngine) -> None:
    msgs = [ChatMessage("user", "Write a very long story about a lighthouse keeper.")]
    got: list[str] = []
    stream = engine.stream(msgs, GenerationOptions(max_tokens=300, temperature=0.8, seed=3))
    last = None
    for delta in stream:
        if delta.done:
            last = delta
            break
        got.append(delta.text)
        if len(got) == 3:
            engine.cancel()
    assert last is not None and last.stopped
    assert len(got) == 3  # the flag is checked before each further token


def test_follow_up_turn_reuses_the_cached_prefix(engine: LlamaCppEngine) -> None:
    opts = GenerationOptions(max_tokens=16, temperature=0.0, seed=1)
    history = [ChatMessage("system", "You are terse."), ChatMessage("user", "Say hello.")]
    reply = "".join(d.text for d in engine.stream(history, opts))
    cached = list(engine._llm._input_ids)  # what llama.cpp holds in its KV cache now
    follow = [*history, ChatMessage("assistant", reply.strip()), ChatMessage("user", "Again.")]
    new_ids = engine._prompt_ids(engine.format(follow))
    shared = 0
    for a, b in zip(cached, new_ids, strict=False):
        if a != b:
            break
        shared += 1
    first_ids = engine._prompt_ids(engine.format(history))
    assert shared >= len(first_ids) - 1  # the whole first prompt is reused
    list(engine.stream(follow, opts))


def test_stream_from_another_thread_is_serialised(engine: LlamaCppEngine) -> None:
    results: list[int] = []

    def run() -> None:
        ds = list(engine.stream([ChatMessage("user", "Hi")], GenerationOptions(max_tokens=4)))
        results.append(ds[-1].usage.completion_tokens if ds[-1].usage else -1)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and all(r >= 1 for r in results)


def test_missing_and_non_gguf_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        LlamaCppEngine(tmp_path / "nope.gguf", model_name="x")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 64)
    with pytest.raises(ModelError, match="could not load"):
        LlamaCppEngine(bad, model_name="bad")
