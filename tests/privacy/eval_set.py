"""A PII evaluation set in the style of presidio-research: templates + Faker values.

Run ``uv run python -m tests.privacy.eval_set`` for the per-type table; the
test in ``test_quality.py`` holds the recall targets.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
from collections import defaultdict
from dataclasses import dataclass

from faker import Faker

TEMPLATES: dict[str, list[str]] = {
    "PERSON": [
        "I talked to {PERSON} yesterday and she said the report is late",
        "pls ask {PERSON} to review my PR before friday",
        "Hi {PERSON}, thanks for the quick update!",
        "lunch with {PERSON} tomorrow?",
        "{PERSON} and {PERSON} are joining the call at 3",
        "can you draft a polite reminder to {PERSON} about the invoice",
        "my manager {PERSON} wants the slides by noon",
        "Dear {PERSON}, please find the contract attached.",
        "forward this to {PERSON} and cc {PERSON}",
        "{PERSON} said the deploy broke staging again lol",
    ],
    "EMAIL_ADDRESS": [
        "hey can you email {EMAIL_ADDRESS} about the meeting?",
        "my address is {EMAIL_ADDRESS}",
        "send the draft to {EMAIL_ADDRESS} and {EMAIL_ADDRESS} pls",
        "reply-to: {EMAIL_ADDRESS}",
    ],
    "PHONE_NUMBER": [
        "my number is {PHONE_NUMBER}, call me after 5",
        "reach the front desk at {PHONE_NUMBER}",
        "text me on {PHONE_NUMBER} when you land",
        "Phone: {PHONE_NUMBER}",
    ],
    "CREDIT_CARD": [
        "charge it to my card {CREDIT_CARD} exp 09/27",
        "the card number is {CREDIT_CARD}",
        "why was {CREDIT_CARD} declined?",
    ],
    "IBAN_CODE": [
        "wire the deposit to {IBAN_CODE} by monday",
        "our IBAN is {IBAN_CODE}",
        "refund to {IBAN_CODE} please",
    ],
    "US_SSN": [
        "my ssn is {US_SSN}",
        "SSN: {US_SSN} (for the tax form)",
        "the social security number {US_SSN} belongs to my dad",
    ],
    "IP_ADDRESS": [
        "the server at {IP_ADDRESS} is down again",
        "whitelist {IP_ADDRESS} on the firewall",
        "ssh into {IP_ADDRESS} and restart nginx",
    ],
    "API_KEY": [
        "here's my key {API_KEY} can you check why it fails",
        "export OPENAI_API_KEY={API_KEY}",
        "the token {API_KEY} leaked in the logs, rotate it",
    ],
}

INTL_LOCALES = ["en_GB", "de_DE", "fr_FR", "en_IN", "es_ES", "it_IT", "nl_NL", "en_AU"]


@dataclass(frozen=True)
class Sample:
    text: str
    spans: list[tuple[int, int, str]]


def _api_key(rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits

    def pick(n: int, chars: str = alnum) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    kind = rng.randrange(6)
    if kind == 0:
        return "sk-proj-" + pick(48)
    if kind == 1:
        return "sk-ant-api03-" + pick(40) + "-" + pick(20)
    if kind == 2:
        return "AIza" + pick(35, alnum + "_-")
    if kind == 3:
        return "AKIA" + pick(16, string.ascii_uppercase + string.digits)
    if kind == 4:
        return "ghp_" + pick(36)

    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': pick(8)})}.{pick(43)}"


def _value(kind: str, fake: Faker, rng: random.Random, i: int) -> str:
    if kind == "PERSON":
        return fake.first_name() if i % 4 == 3 else fake.name()
    if kind == "EMAIL_ADDRESS":
        return fake.email()
    if kind == "PHONE_NUMBER":
        if i % 2:
            return Faker(INTL_LOCALES[i % len(INTL_LOCALES)]).phone_number()
        return rng.choice(["({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}", "{a}.{b}.{c}"]).format(
            a=rng.randint(201, 989), b=rng.randint(200, 999), c=f"{rng.randint(0, 9999):04d}"
        )
    if kind == "CREDIT_CARD":
        return fake.credit_card_number()
    if kind == "IBAN_CODE":
        return Faker(INTL_LOCALES[i % len(INTL_LOCALES)]).iban()
    if kind == "US_SSN":
        return fake.ssn()
    if kind == "IP_ADDRESS":
        return fake.ipv4_public() if i % 3 else fake.ipv6()
    if kind == "API_KEY":
        return _api_key(rng)
    raise ValueError(kind)


def build(per_type: int = 60, seed: int = 20261127) -> list[Sample]:
    Faker.seed(seed)
    fake = Faker("en_US")
    rng = random.Random(seed)
    samples: list[Sample] = []
    for kind, templates in TEMPLATES.items():
        for i in range(per_type):
            template = templates[i % len(templates)]
            text, spans, pos = "", [], 0
            slot = "{" + kind + "}"
            while (at := template.find(slot, pos)) >= 0:
                text += template[pos:at]
                value = _value(kind, fake, rng, i + len(spans))
                spans.append((len(text), len(text) + len(value), kind))
                text += value
                pos = at + len(slot)
            samples.append(Sample(text + template[pos:], spans))
    return samples


SECRET_TYPES = {"API_KEY", "JWT"}


def _same(gold: str, predicted: str) -> bool:
    return gold == predicted or (gold == "API_KEY" and predicted in SECRET_TYPES)


def evaluate(redactor: object, samples: list[Sample]) -> dict[str, dict[str, float]]:
    """Per gold type: recall (gold spans covered by a prediction of that type) and
    precision (predictions of that type that overlap a gold span of that type)."""
    gold_n: dict[str, int] = defaultdict(int)
    hit: dict[str, int] = defaultdict(int)
    pred_n: dict[str, int] = defaultdict(int)
    pred_ok: dict[str, int] = defaultdict(int)
    for sample in samples:
        predicted = redactor.analyze(sample.text)  # type: ignore[attr-defined]
        for start, end, kind in sample.spans:
            gold_n[kind] += 1
            if any(_same(kind, p.type) and p.start <= start and p.end >= end for p in predicted):
                hit[kind] += 1
        for p in predicted:
            kind = "API_KEY" if p.type in SECRET_TYPES else p.type
            pred_n[kind] += 1
            if any(_same(k, p.type) and p.start < e and p.end > s for s, e, k in sample.spans):
                pred_ok[kind] += 1
    report: dict[str, dict[str, float]] = {}
    for kind in sorted(set(gold_n) | set(pred_n)):
        report[kind] = {
            "gold": gold_n[kind],
            "predicted": pred_n[kind],
            "recall": hit[kind] / gold_n[kind] if gold_n[kind] else float("nan"),
            "precision": pred_ok[kind] / pred_n[kind] if pred_n[kind] else float("nan"),
        }
    return report


def main() -> int:
    from app.privacy.redactor import Redactor

    r = Redactor()
    report = evaluate(r, build())
    print(f"{'type':16} {'gold':>5} {'pred':>5} {'recall':>7} {'precision':>9}")
    for kind, row in report.items():
        print(
            f"{kind:16} {row['gold']:>5.0f} {row['predicted']:>5.0f} "
            f"{row['recall']:>7.3f} {row['precision']:>9.3f}"
        )
    print("\nPERSON recall outside English (the spaCy pipeline is English-only):")
    for label, recall in person_recall_by_language(r).items():
        print(f"  {label:36} {recall:.3f}")
    return 0


NON_ENGLISH_TEMPLATES = {
    "de_DE": ["Ich habe gestern mit {PERSON} gesprochen.", "Bitte frag {PERSON} nach dem Bericht."],
    "fr_FR": ["J'ai parlé avec {PERSON} hier.", "Demande à {PERSON} de relire le contrat."],
    "es_ES": ["Ayer hablé con {PERSON}.", "Pregúntale a {PERSON} por el informe."],
}


def person_recall_by_language(redactor: object, per_locale: int = 40) -> dict[str, float]:
    """PERSON recall for names of other locales in English templates, and in their
    own language: where the English-only model falls short."""
    out: dict[str, float] = {}
    for locale, native in NON_ENGLISH_TEMPLATES.items():
        fake = Faker(locale)
        fake.seed_instance(11)
        for label, templates in (
            ("names in English text", TEMPLATES["PERSON"]),
            ("native text", native),
        ):
            hits = 0
            for i in range(per_locale):
                name = fake.name()
                template = templates[i % len(templates)].replace("{PERSON}", name, 1)
                text = template.replace("{PERSON}", fake.first_name())
                start = text.index(name)
                found = redactor.analyze(text)  # type: ignore[attr-defined]
                hits += any(
                    e.type == "PERSON" and e.start <= start and e.end >= start + len(name)
                    for e in found
                )
            out[f"{locale}: {label}"] = hits / per_locale
    return out


if __name__ == "__main__":
    sys.exit(main())
