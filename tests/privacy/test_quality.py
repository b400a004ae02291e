"""Recall targets on a generated evaluation set (a seed the recognizers were not tuned on)."""

from __future__ import annotations

import pytest

from app.privacy.redactor import Redactor
from tests.privacy.eval_set import build, evaluate

TARGETS = {
    "EMAIL_ADDRESS": 0.98,
    "PHONE_NUMBER": 0.98,
    "CREDIT_CARD": 0.98,
    "IBAN_CODE": 0.98,
    "US_SSN": 0.98,
    "IP_ADDRESS": 0.98,
    "API_KEY": 0.98,
    "PERSON": 0.85,
}

NO_PII = [
    "Can you explain how a B-tree index works in SQLite?",
    "The meeting moved to 3:30 on Tuesday, room 4B.",
    "Version 2.14.1 fixed the bug from 2.13.0; see issue 4512.",
    "I ran 5 km in 27 minutes and burned 410 calories.",
    "Multiply 1234 by 5678 and tell me the result.",
    "Set the timeout to 30000 ms and retries to 3.",
    "Our Q3 revenue grew 12% to 4.5 million dollars.",
    "What's the difference between TCP and UDP?",
    "Port 8080 is busy; use 8081 instead.",
    "The recipe needs 250 g flour, 2 eggs and 100 ml milk.",
]


@pytest.fixture(scope="module")
def report(redactor: Redactor) -> dict[str, dict[str, float]]:
    return evaluate(redactor, build(per_type=50, seed=7))


@pytest.mark.parametrize(("kind", "target"), sorted(TARGETS.items()))
def test_recall_meets_target(report: dict[str, dict[str, float]], kind: str, target: float) -> None:
    row = report[kind]
    assert row["gold"] >= 50
    assert row["recall"] >= target, f"{kind}: recall {row['recall']:.3f} < {target}"


def test_precision_on_labelled_types(report: dict[str, dict[str, float]]) -> None:
    for kind in TARGETS:
        assert report[kind]["precision"] >= 0.9, (kind, report[kind])


def test_few_false_alarms_on_text_without_pii(redactor: Redactor) -> None:
    flagged = {t: [t[e.start : e.end] for e in redactor.analyze(t)] for t in NO_PII}
    noisy = {t: f for t, f in flagged.items() if f}
    assert len(noisy) <= 2, noisy
