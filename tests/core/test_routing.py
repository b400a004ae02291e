"""Routing rules: privacy-sensitive types stay local, overflow suggestions, chat defaults."""

from __future__ import annotations

import pytest

from app.chat.routing import conversation_target, overflow_suggestion, sensitive_types
from app.config import Settings
from app.privacy.redactor import Entity


def test_sensitive_types_from_detections_medical_terms_and_deny_list() -> None:
    s = Settings()
    text = "Patient diagnosed with diabetes; card on file."
    found = [Entity("CREDIT_CARD", 0, 4, 1.0), Entity("PERSON", 5, 9, 0.8)]
    got = sensitive_types(text, found, s)
    assert got["CREDIT_CARD"] == 1 and got["MEDICAL"] == 3 and "PERSON" not in got
    s.set("privacy.deny_list", "Project Falcon")
    assert sensitive_types("status of project falcon?", [], s) == {"DENY_LIST": 1}
    s.set("routing.local_only_types", "US_SSN")  # the user narrowed the rule
    assert sensitive_types(text, found, s) == {}
    s.set("routing.local_only_types", "MEDICAL")
    s.set("routing.medical_terms", "tinnitus")
    assert sensitive_types("my tinnitus is worse", [], s) == {"MEDICAL": 1}
    assert sensitive_types("a diagnostic tool for cars", [], Settings()) == {}  # whole words


def test_overflow_suggestions() -> None:
    s = Settings()
    big = overflow_suggestion(9000, 4096, 512, 40.0, s)
    assert big is not None and "context window" in big.reason
    slow = overflow_suggestion(100, 4096, 2048, 5.0, s)  # 2048 tokens at 5 tok/s = 410 s
    assert slow is not None and "410 s" in slow.reason
    assert overflow_suggestion(100, 4096, 512, 40.0, s) is None
    assert overflow_suggestion(100, 4096, 512, None, s) is None  # speed unknown: no guess


@pytest.mark.parametrize(
    ("stored", "target"),
    [(None, None), ("local", None), ("cloud:openai:gpt-4.1", "openai:gpt-4.1")],
)
def test_conversation_default_engine(stored: str | None, target: str | None) -> None:
    assert conversation_target(stored) == target
