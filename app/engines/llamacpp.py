"""The llama.cpp engine (llama-cpp-python), running a GGUF file in-process.

A ``Llama`` object is not thread-safe: one worker thread owns each engine
(the GUI's model worker, or the CLI's main thread) and a lock guards it.
The object is kept between turns, so llama.cpp reuses the KV cache for the
prompt prefix it has already seen and follow-up turns do not re-read the
whole history.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, cast

from app.engines.base import (
    ChatMessage,
    Delta,
    EngineInfo,
    GenerationOptions,
    Timings,
    Usage,
)
from app.engines.prompt_format import FormattedPrompt, TemplateFormatter, transcript_prompt
from app.errors import EngineError, ModelError


def physical_cores() -> int:
    import psutil

    return max(1, psutil.cpu_count(logical=False) or psutil.cpu_count() or 1)


def build_info() -> dict[str, Any]:
    """What the installed llama.cpp build can do (without loading a model)."""
    import llama_cpp

    info: dict[str, Any] = {"llama_cpp_python": llama_cpp.__version__}
    try:
        info["gpu_offload"] = bool(llama_cpp.llama_supports_gpu_offload())
        raw = llama_cpp.llama_print_system_info()
        info["system_info"] = raw.decode() if isinstance(raw, bytes) else str(raw)
    except (AttributeError, OSError) as exc:  # older or partial builds
        info["system_info"] = f"unavailable ({type(exc).__name__})"
    return info


class LlamaCppEngine:
    """Streams replies from a local GGUF model. See :mod:`app.engines.base`."""

    engine_name = "local"

    def __init__(
        self,
        model_path: Path,
        *,
        model_name: str,
        n_ctx: int = 4096,
        n_threads: int = 0,
        n_gpu_layers: int = 0,
    ) -> None:
        if not model_path.is_file():
            raise ModelError(f"The model file {model_path} does not exist.")
        from llama_cpp import Llama

        self.model_name = model_name
        self.model_path = model_path
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        threads = n_threads or physical_cores()
        try:
            self._llm = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=n_gpu_layers,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(
                f"llama.cpp could not load {model_path.name}: {exc}",
                hint="The file may be damaged, or use an architecture this build does not know.",
            ) from None
        self.n_ctx = self._llm.n_ctx()
        self.threads = threads
        metadata: dict[str, str] = dict(self._llm.metadata or {})
        template = metadata.get("tokenizer.chat_template")
        self._formatter: TemplateFormatter | None = None
        if template:
            vocab = self._llm._model  # token text for the template's bos/eos
            self._formatter = TemplateFormatter(
                template,
                bos_token=self._token_text(vocab.token_bos()),
                eos_token=self._token_text(vocab.token_eos()),
            )

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="ignore")

    # -- Engine protocol ------------------------------------------------------
    def info(self) -> EngineInfo:
        return EngineInfo(
            engine=self.engine_name,
            model=self.model_name,
            context_length=self.n_ctx,
            chat_template=self._formatter is not None,
            details={"threads": str(self.threads), "path": str(self.model_path)},
        )

    def format(self, messages: list[ChatMessage]) -> FormattedPrompt:
        if self._formatter is not None:
            return self._formatter(messages)
        return transcript_prompt(messages)

    def _prompt_ids(self, prompt: FormattedPrompt) -> list[int]:
        text = prompt.text
        add_bos = True
        if (
            self._formatter
            and self._formatter.bos_token
            and text.startswith(self._formatter.bos_token)
        ):
            add_bos = False  # the template wrote it already
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        prompt = self.format(messages)
        with self._lock:
            return len(self._prompt_ids(prompt))

    def cancel(self) -> None:
        self._cancel.set()

    def stream(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[Delta]:
        prompt = self.format(messages)
        with self._lock:
            self._cancel.clear()
            ids = self._prompt_ids(prompt)
            if len(ids) >= self.n_ctx:
                raise EngineError(
                    f"The prompt takes {len(ids)} tokens; the context window is {self.n_ctx}."
                )
            max_tokens = max(1, min(options.max_tokens, self.n_ctx - len(ids)))
            start = time.perf_counter()
            first: float | None = None
            pieces: list[str] = []
            stopped = False
            try:
                chunks = cast(
                    Generator[dict[str, Any], None, None],
                    self._llm.create_completion(
                        ids,
                        max_tokens=max_tokens,
                        temperature=options.temperature,
                        stop=prompt.stop,
                        seed=options.seed,
                        stream=True,
                    ),
                )
                try:
                    for chunk in chunks:
                        if self._cancel.is_set():
                            stopped = True
                            break
                        text = chunk["choices"][0]["text"]
                        if not text:
                            continue
                        if first is None:
                            first = time.perf_counter()
                        pieces.append(text)
                        yield Delta(text=text)
                finally:
                    chunks.close()
            except (RuntimeError, ValueError) as exc:
                raise EngineError(f"llama.cpp failed while generating: {exc}") from None
            end = time.perf_counter()
            completion = "".join(pieces)
            n_out = (
                len(self._llm.tokenize(completion.encode("utf-8"), add_bos=False, special=True))
                if completion
                else 0
            )
            ttft = (first or end) - start
            decode_s = end - (first or end)
            rate = (n_out - 1) / decode_s if n_out > 1 and decode_s > 0 else 0.0
        yield Delta(
            done=True,
            stopped=stopped,
            usage=Usage(prompt_tokens=len(ids), completion_tokens=n_out),
            timings=Timings(ttft_s=ttft, tokens_per_s=rate, total_s=end - start),
        )

    def close(self) -> None:
        with self._lock:
            self._llm.close()
