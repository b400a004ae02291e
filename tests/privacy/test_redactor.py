"""Redaction on the real Presidio + spaCy pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import PrivacySettings
from app.privacy.offline import ConnectionGuard
from app.privacy.redactor import Entity, Redactor, RedactorUnavailableError
from app.privacy.vault import Vault, restore

SAMPLE = (
    "Hi, I'm Maria Garcia. Mail maria.garcia@gmail.com or call +1 (415) 555-2671. "
    "My SSN is 536-22-8143 and my card is 4111 1111 1111 1111. "
    "IBAN DE89 3704 0044 0532 0130 00, server 10.20.30.40, "
    "key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234, password=Tr0ub4dor&3"
)
EXPECTED = {
    "Maria Garcia": "PERSON",
    "maria.garcia@gmail.com": "EMAIL_ADDRESS",
    "+1 (415) 555-2671": "PHONE_NUMBER",
    "536-22-8143": "US_SSN",
    "4111 1111 1111 1111": "CREDIT_CARD",
    "DE89 3704 0044 0532 0130 00": "IBAN_CODE",
    "10.20.30.40": "IP_ADDRESS",
    "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234": "API_KEY",
    "Tr0ub4dor&3": "PASSWORD",
}


def spans(text: str, entities: list[Entity]) -> dict[str, str]:
    return {text[e.start : e.end]: e.type for e in entities}


def test_finds_every_kind_and_round_trips(redactor: Redactor) -> None:
    result = redactor.redact(SAMPLE)
    found = spans(SAMPLE, result.entities)
    for value, kind in EXPECTED.items():
        assert found.get(value) == kind, (value, found)
        assert value not in result.redacted
    assert "<PERSON_1>" in result.redacted and "<API_KEY_1>" in result.redacted


def test_analysis_never_opens_a_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path / "tld-cache"))
    with ConnectionGuard(allow=lambda host, port: False) as guard:
        fresh = Redactor()
        fresh.load()
        fresh.analyze("Write to someone@example.co.uk or visit https://www.example.com.au/page")
    assert guard.attempts == []


def test_the_guard_catches_tldextract_phoning_home(tmp_path: Path) -> None:
    """Proof that the test above can fail: tldextract's default fetches the suffix list."""
    import tldextract

    with ConnectionGuard(allow=lambda host, port: False) as guard:
        tldextract.TLDExtract(cache_dir=str(tmp_path / "c"))("www.example.co.uk")
    assert guard.blocked(), "the default extractor should have tried the network"


def test_same_value_same_placeholder_across_messages(redactor: Redactor) -> None:
    vault = Vault()
    first = redactor.redact("Ask John Miller about it.", vault)
    second = redactor.redact("Did John Miller reply? Also ask Sarah Connor.", vault)
    assert first.redacted == "Ask <PERSON_1> about it."
    assert "<PERSON_1>" in second.redacted and "<PERSON_2>" in second.redacted
    assert restore(second.redacted, vault) == "Did John Miller reply? Also ask Sarah Connor."


def test_deny_list_is_case_insensitive_whole_words_and_allow_list_wins() -> None:
    settings = PrivacySettings(deny_list=["Bluebird", "ACME Corp"], allow_list=["Paris"])
    r = Redactor(settings)
    text = "Project BLUEBIRD for acme corp in Paris; bluebirds are fine."
    result = r.redact(text)
    found = spans(text, result.entities)
    assert found.get("BLUEBIRD") == "DENY_LIST" and found.get("acme corp") == "DENY_LIST"
    assert "bluebirds" in result.redacted  # whole words only
    assert "Paris" in result.redacted  # allow-listed


def test_typed_placeholders_are_escaped_and_never_restored_to_values(redactor: Redactor) -> None:
    vault = Vault()
    result = redactor.redact("Tom Hanks wrote <PERSON_1> and PERSON_2 literally.", vault)
    assert result.redacted.count("<PERSON_1>") == 1  # only the real one
    assert restore(result.redacted, vault) == "Tom Hanks wrote <PERSON_1> and PERSON_2 literally."


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "👩‍👩‍👧 Family: call Maria Garcia 👍🏽 at maria@gmail.com ✨",
        "e\u0301e\u0301 Zoë Saldaña, email zoe@yahoo.com",
        "\u05e9\u05dc\u05d5\u05dd Contact david.levi@gmail.com \u05ea\u05d5\u05d3\u05d4",
        "nul\x00 and \x07 control \x1b[31m chars, mail a.b@gmail.com",
        "Der Kunde Hans Müller wohnt in Berlin, Telefon +49 30 901820.",
        "1 2 3 4 5 6 7 8 9 10 3.14 2024-01-01 1e10 0x1F 1,000,000 42% 12:30 #7 v1.2.3",
    ],
)
def test_bad_input_never_crashes_and_offsets_stay_valid(redactor: Redactor, text: str) -> None:
    result = redactor.redact(text)
    for e in result.entities:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end].strip() == text[e.start : e.end]
    for email in ("maria@gmail.com", "zoe@yahoo.com", "david.levi@gmail.com", "a.b@gmail.com"):
        if email in text:
            assert email not in result.redacted


def test_a_one_megabyte_line_is_handled(redactor: Redactor) -> None:
    text = "x" * 600_000 + " reach me at someone@gmail.com " + "y" * 400_000
    seen: list[int] = []
    entities = redactor.analyze(text, progress=lambda done, total: seen.append(done))
    assert seen[-1] == len(text)
    assert spans(text, entities)["someone@gmail.com"] == "EMAIL_ADDRESS"
    assert all(0 <= e.start < e.end <= len(text) for e in entities)


def test_fails_closed_when_the_analyzer_cannot_load(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("app.privacy.redactor.SPACY_PACKAGE", "no_such_spacy_model")
    broken = Redactor()
    with pytest.raises(RedactorUnavailableError, match="nothing can be sent"):
        broken.redact("John Smith")
    with pytest.raises(RedactorUnavailableError):
        broken.analyze("still refused")
    assert "the PII analyzer failed to load" in caplog.text  # logged with its traceback
    caplog.clear()


def test_hearth_redact_cli_json_and_jsonl() -> None:
    import json

    from tests.integration.test_cli import hearth

    text = "Email 👍 bob.smith@gmail.com now"
    out = hearth("redact", text, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["redacted"].endswith("👍 <EMAIL_ADDRESS_1> now")
    (entity,) = [e for e in doc["entities"] if e["type"] == "EMAIL_ADDRESS"]
    assert text[entity["start"] : entity["end"]] == "bob.smith@gmail.com"  # str offsets
    lines = "\n".join(json.dumps({"text": t}) for t in ["Ann Lee", "no pii", "ip 8.8.8.8"])
    batch = hearth("redact", "--jsonl", stdin=lines)
    assert batch.returncode == 0, batch.stderr
    docs = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [d["redacted"] for d in docs] == ["<PERSON_1>", "no pii", "ip <IP_ADDRESS_1>"]


def test_a_private_key_block_longer_than_a_chunk_is_found_whole(redactor: Redactor) -> None:
    body = "\n".join("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" * 2 for _ in range(60))
    block = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    text = "word " * 500 + "here is my key:\n" + block + "\nthanks " + "word " * 500
    assert len(block) > 3000
    result = redactor.redact(text)
    assert "<PRIVATE_KEY_1>" in result.redacted and "MIIEvQ" not in result.redacted


def test_the_faster_context_enhancer_scores_exactly_like_presidios(redactor: Redactor) -> None:
    """Hearth's enhancer (bisect token lookup, no deep copy) against upstream's, on text
    where context words raise scores (phone, card, SSN near their keywords)."""
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    text = (
        SAMPLE + " Call me on my cell phone 212-555-0147 tomorrow. The social security "
        "number on file is 536-22-8143; credit card 5555 5555 5555 4444 expires soon. "
        "Zip code 94103, driver license D1234567, passport 912803456."
    ) * 3
    redactor.load()
    analyzer = redactor._analyzer
    ours = analyzer.context_aware_enhancer

    def run() -> list[tuple[str, int, int, float, str | None]]:
        results = analyzer.analyze(text=text, language="en", return_decision_process=True)
        return sorted(
            (r.entity_type, r.start, r.end, r.score,
             r.analysis_explanation.supportive_context_word if r.analysis_explanation else None)
            for r in results
        )  # fmt: skip

    fast = run()
    try:
        analyzer.context_aware_enhancer = LemmaContextAwareEnhancer()
        upstream = run()
    finally:
        analyzer.context_aware_enhancer = ours
    assert fast == upstream
    assert any(word for *_, word in fast)  # context words really raised some scores
    assert run() == fast  # analysing again changes nothing (the copies are independent)
