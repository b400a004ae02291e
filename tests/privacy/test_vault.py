"""Placeholders: stability, restore (also split across stream chunks), escaping."""

from __future__ import annotations

import random

import pytest

from app.privacy.vault import StreamRestorer, Vault, escape_placeholder_lookalikes, restore


@pytest.fixture
def vault() -> Vault:
    v = Vault()
    v.placeholder("PERSON", "Ada Lovelace")
    v.placeholder("PERSON", "Alan Turing")
    v.placeholder("EMAIL_ADDRESS", "ada@engine.org")
    v.placeholder("US_SSN", "536-22-8143")
    return v


def test_placeholders_are_stable_and_numbered_per_type(vault: Vault) -> None:
    assert vault.placeholder("PERSON", "Ada Lovelace") == "<PERSON_1>"
    assert vault.placeholder("PERSON", "Grace Hopper") == "<PERSON_3>"
    again = Vault.from_entries(vault.entries())
    assert again.placeholder("PERSON", "Alan Turing") == "<PERSON_2>"
    assert again.placeholder("PERSON", "New Person") == "<PERSON_4>"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Dear <PERSON_1>,", "Dear Ada Lovelace,"),
        ("<PERSON_1>'s notes", "Ada Lovelace's notes"),
        ("PERSON_2 wrote to EMAIL_ADDRESS_1.", "Alan Turing wrote to ada@engine.org."),
        ("[PERSON_1] and {PERSON_2}", "Ada Lovelace and Alan Turing"),
        ("<person_1> and < PERSON_2 >", "Ada Lovelace and Alan Turing"),
        ("&lt;PERSON_1&gt; in HTML", "Ada Lovelace in HTML"),
        ("SSN: <US_SSN_1>", "SSN: 536-22-8143"),
        ("PERSON 1 met PERSON_1", "Ada Lovelace met Ada Lovelace"),
    ],
)
def test_restore_handles_reformatted_placeholders(vault: Vault, reply: str, expected: str) -> None:
    assert restore(reply, vault) == expected


@pytest.mark.parametrize(
    "reply",
    ["<PERSON_7> is unknown", "PERSON_12 too", "<EMAIL_ADDRESS_9>", "MYPERSON_1 is not one"],
)
def test_restore_never_invents_values(vault: Vault, reply: str) -> None:
    assert restore(reply, vault) == reply


def test_streamed_restore_matches_whole_restore_for_any_split(vault: Vault) -> None:
    reply = (
        "Hello <PERSON_1>! I forwarded PERSON_2's note to [EMAIL_ADDRESS_1]; "
        "<person_1> said P is for PERSON_2 and <US_SSN_1> stays private. PERSON_1"
    )
    want = restore(reply, vault)
    rng = random.Random(7)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(reply)), rng.randint(1, 40)))
        pieces = [reply[a:b] for a, b in zip([0, *cuts], [*cuts, len(reply)], strict=True)]
        stream = StreamRestorer(vault)
        shown = "".join(stream.feed(p) for p in pieces) + stream.finish()
        assert shown == want
        assert "PERSON_" not in shown and "<US_SSN" not in shown


def test_streamed_restore_never_shows_a_half_placeholder(vault: Vault) -> None:
    stream = StreamRestorer(vault)
    assert stream.feed("Hi <PER") == "Hi "
    assert stream.feed("SON_") == ""
    assert stream.feed("1> bye") == "Ada Lovelace bye"
    assert stream.finish() == ""


def test_user_typed_lookalikes_are_escaped_and_shown_back_unchanged(vault: Vault) -> None:
    typed = "I literally typed <PERSON_1> and PERSON_2"
    escaped = escape_placeholder_lookalikes(typed)
    assert "<PERSON_1>" not in escaped and "PERSON_2" not in escaped
    assert restore(escaped, vault) == typed
