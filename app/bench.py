"""`hearth bench`: performance of this machine, measured side by side in one run.

* decode tokens/s through Hearth's engine and through a bare
  ``Llama.create_completion`` loop on the same loaded model, prompt, seed
  and settings (runs alternate; medians are compared);
* time to first token of a short first turn, and of a follow-up turn after
  about 2,000 tokens of history that the previous turn already put in the
  KV cache (and, for contrast, of the same history read cold);
* cold start of the desktop app and the largest GUI event-loop stall while
  a reply streams, each in a fresh child process (``app.ui.bench_gui``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from app.core import Hearth
from app.engines.base import ChatMessage, GenerationOptions

Log = Callable[[str], None]

# A base model keeps counting until max_tokens: every run decodes the same length.
COUNT = "Count from 1 to 300, separated by commas: 1, 2, 3, 4, 5, 6, 7,"
QUESTIONS = ("Hello! Who are you?", "What should I buy first?", "How long will it last?")
FILLER = (
    "Here is some background about my project. We are building a small weather station "
    "with a microcontroller, a temperature sensor, a humidity sensor and a solar panel. "
)


def _decode_rate(first: float | None, end: float, n: int) -> float:
    if first is None or n < 2 or end <= first:
        return 0.0
    return (n - 1) / (end - first)


def _raw_run(llm: Any, ids: list[int], stop: list[str], tokens: int) -> tuple[float, int]:
    start_first: float | None = None
    n = 0
    for chunk in llm.create_completion(
        ids, max_tokens=tokens, temperature=0.0, seed=7, stop=stop, stream=True
    ):
        if chunk["choices"][0]["text"]:
            if start_first is None:
                start_first = time.perf_counter()
            n += 1
    end = time.perf_counter()
    return _decode_rate(start_first, end, n), n


def measure_decode(hearth: Hearth, tokens: int, reps: int, log: Log) -> dict[str, Any]:
    from app.engines.llamacpp import LlamaCppEngine

    entry = hearth.models.resolve(None)
    engine = hearth.load_engine(entry)
    assert isinstance(engine, LlamaCppEngine)
    try:
        msgs = [ChatMessage("user", COUNT)]
        opts = GenerationOptions(max_tokens=tokens, temperature=0.0, seed=7)
        prompt = engine.format(msgs)
        ids = engine._prompt_ids(prompt)
        engine_rates: list[float] = []
        raw_rates: list[float] = []
        produced = 0
        for i in range(reps):
            log(f"decode run {i + 1}/{reps}")
            last = list(engine.stream(msgs, opts))[-1]
            assert last.timings and last.usage
            engine_rates.append(last.timings.tokens_per_s)
            produced = last.usage.completion_tokens
            rate, _n = _raw_run(engine._llm, ids, prompt.stop, tokens)
            raw_rates.append(rate)
        eng, raw = statistics.median(engine_rates), statistics.median(raw_rates)

        log("time to first token: first turn")
        short = GenerationOptions(max_tokens=8, temperature=0.0, seed=7)
        first_ttfts: list[float] = []
        for question in QUESTIONS:
            engine._llm.reset()  # nothing cached: a first turn
            done = list(engine.stream([ChatMessage("user", question)], short))[-1]
            assert done.timings
            first_ttfts.append(done.timings.ttft_s)
        history: list[ChatMessage] = []
        while engine.prompt_tokens(history) < 2000:
            history += [ChatMessage("user", FILLER * 3), ChatMessage("assistant", "Noted.")]
        history_tokens = engine.prompt_tokens(history)
        log(f"time to first token: {history_tokens} tokens of history, cold then follow-up")
        engine._llm.reset()
        turn = [*history, ChatMessage("user", "Summarise the project in one line.")]
        cold_deltas = list(engine.stream(turn, short))
        reply = "".join(d.text for d in cold_deltas).strip() or "OK."
        cold = cold_deltas[-1]
        follow_ttfts: list[float] = []
        for question in QUESTIONS:  # each follow-up shares history + reply with the cache
            follow = [*turn, ChatMessage("assistant", reply), ChatMessage("user", question)]
            done = list(engine.stream(follow, short))[-1]
            assert done.timings
            follow_ttfts.append(done.timings.ttft_s)
        first_ttft = statistics.median(first_ttfts)
        follow_ttft = statistics.median(follow_ttfts)
        assert cold.timings
        return {
            "model": entry.name,
            "threads": engine.threads,
            "decode_tokens": produced,
            "decode_tokens_per_s_engine": round(eng, 2),
            "decode_tokens_per_s_raw": round(raw, 2),
            "decode_ratio_engine_over_raw": round(eng / raw, 3) if raw else None,
            "ttft_first_turn_s": round(first_ttft, 4),
            "history_tokens": history_tokens,
            "ttft_history_cold_s": round(cold.timings.ttft_s, 4),
            "ttft_follow_up_s": round(follow_ttft, 4),
            "follow_up_over_first_turn": round(follow_ttft / first_ttft, 3),
        }
    finally:
        engine.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_privacy(hearth: Hearth, log: Log) -> dict[str, Any]:
    """Analyzer cold load, analyze + pseudonymize latency, streamed restore speed."""
    from app.privacy.redactor import Redactor
    from app.privacy.vault import StreamRestorer, Vault

    log("privacy: analyzer cold load")
    redactor = Redactor(hearth.settings.privacy)
    start = time.perf_counter()
    redactor.load()
    load_s = time.perf_counter() - start
    sentence = (
        "Hi, this is Maria Garcia from the Denver office; mail maria.garcia@gmail.com or "
        "call 415-555-2671 about invoice 4471 and the new server at 10.0.4.17 please. "
    )
    words = sentence.split()
    msg100 = " ".join((words * (100 // len(words) + 1))[:100])
    msg10k = " ".join((words * (10_000 // len(words) + 1))[:10_000])
    out: dict[str, Any] = {"privacy_analyzer_load_s": round(load_s, 3)}
    for label, text, reps in (("100_words", msg100, 30), ("10k_words", msg10k, 5)):
        log(f"privacy: analyze + pseudonymize, {label} x{reps}")
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            redacted = redactor.redact(text, Vault())
            times.append(time.perf_counter() - t0)
        out[f"privacy_{label}_p50_ms"] = round(_percentile(times, 0.5) * 1000, 1)
        out[f"privacy_{label}_p95_ms"] = round(_percentile(times, 0.95) * 1000, 1)
    vault = Vault()
    reply = redactor.redact(msg10k, vault).redacted
    chunks = [reply[i : i + 4] for i in range(0, len(reply), 4)]  # ~a token per chunk
    t0 = time.perf_counter()
    stream = StreamRestorer(vault)
    for chunk in chunks:
        stream.feed(chunk)
    stream.finish()
    elapsed = time.perf_counter() - t0
    out["privacy_restore_chunks_per_s"] = round(len(chunks) / elapsed)
    out["privacy_restore_us_per_chunk"] = round(elapsed / len(chunks) * 1e6, 1)
    del redacted
    return out


def measure_gui(log: Log) -> dict[str, Any]:
    """Cold start and streaming stall, each in a fresh process."""
    out: dict[str, Any] = {}
    for mode in ("cold-start", "stall", "warmup-stall"):
        log(f"GUI: {mode}")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "app.ui.bench_gui", mode, repr(start)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            out[mode] = f"failed: {proc.stderr.strip().splitlines()[-1:]}"
            continue
        out.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def run_bench(hearth: Hearth, *, tokens: int, gui: bool, log: Log, reps: int = 3) -> dict[str, Any]:
    if not hearth.models.default_prepared():
        log("preparing the embedded default model…")
        hearth.models.ensure_default()
    results = measure_decode(hearth, tokens, reps, log)
    results |= measure_privacy(hearth, log)
    if gui:
        results |= measure_gui(log)
    results["targets"] = {
        "decode_ratio_engine_over_raw": ">= 0.97",
        "follow_up_over_first_turn": "<= 1.5",
        "cold_start_s": "< 1.5",
        "max_stall_ms": "< 50",
        "privacy_100_words_p50_ms": "<= 20",
        "privacy_10k_words_p50_ms": "<= 500",
    }
    return results
