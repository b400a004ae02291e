"""Recognizers Hearth adds to Presidio's: secrets and credentials, the deny-list."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

SECRET_TYPES = ("API_KEY", "PRIVATE_KEY", "PASSWORD", "JWT")

_SECRETS: dict[str, list[tuple[str, str, float]]] = {
    "API_KEY": [
        ("anthropic", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", 0.95),
        ("openai", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", 0.9),
        ("google", r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", 0.95),
        ("aws access key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b", 0.95),
        (
            "aws secret key",
            r"(?i)aws_?secret_?access_?key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}\b",
            0.9,
        ),
        ("github token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b", 0.95),
        ("github fine-grained", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b", 0.95),
        ("slack token", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}\b", 0.9),
        ("stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{20,}\b", 0.9),
    ],
    # Presidio's own e-mail recognizer drops addresses whose domain is not a public
    # suffix (user@corp.internal); for privacy any address-shaped text counts.
    "EMAIL_ADDRESS": [
        ("any address", r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+\b", 0.6),
    ],
    # Presidio validates phone numbers against assigned area codes; a number that
    # merely looks like one is still personal data in a chat.
    "PHONE_NUMBER": [
        ("nanp", r"(?<![\w+])(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]\d{3}[\s.-]\d{4}\b", 0.5),
        ("international", r"(?<![\w+])\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}\b", 0.5),
        ("national trunk", r"(?<![\w+])0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b", 0.45),
    ],
    # IBAN-shaped text even when the check digits are wrong (typos still identify).
    "IBAN_CODE": [
        ("iban shape", r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b", 0.5),
    ],
    "PRIVATE_KEY": [
        (
            "pem private key",
            r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )*PRIVATE KEY-----",
            1.0,
        ),
    ],
    "PASSWORD": [
        (
            "password assignment",
            r"(?i)(?<=\b(?:password|passwd|pwd|pass|secret|token|api_key|apikey)"
            r"(?:\s*[:=]\s*|\s+is\s+))['\"]?[^\s'\"]{3,}[^\s'\".,;:!?)]",
            0.85,
        ),
    ],
    "JWT": [
        ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", 0.95),
    ],
}


def local_phone_recognizer() -> PatternRecognizer:
    """Bare local numbers (6983 9633, 3380141269): reported only next to words like 'call'."""
    return PatternRecognizer(
        supported_entity="PHONE_NUMBER",
        name="HearthLocalPhoneRecognizer",
        patterns=[Pattern("local number", r"(?<![\w+.-])\d(?:[\s-]?\d){6,11}(?![\w.-])", 0.3)],
        context=["phone", "number", "call", "text", "tel", "mobile", "cell", "reach", "whatsapp"],
        global_regex_flags=0,
    )


def secret_recognizers() -> list[PatternRecognizer]:
    return [LuhnCardRecognizer(), local_phone_recognizer()] + [
        PatternRecognizer(
            supported_entity=entity,
            name=f"Hearth{entity.title().replace('_', '')}Recognizer",
            patterns=[Pattern(name, regex, score) for name, regex, score in patterns],
            global_regex_flags=0,  # case matters in key prefixes; patterns opt in
        )
        for entity, patterns in _SECRETS.items()
    ]


class LuhnCardRecognizer(PatternRecognizer):
    """Any 12-19 digit card-shaped number that passes the Luhn check (all brands)."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="CREDIT_CARD",
            name="HearthLuhnCardRecognizer",
            patterns=[Pattern("card digits", r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])", 0.6)],
            global_regex_flags=0,
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = [int(c) for c in pattern_text if c.isdigit()]
        if not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
            return False
        total = 0
        for i, d in enumerate(reversed(digits)):
            if i % 2:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        return total % 10 == 0


def deny_list_recognizer(words: list[str]) -> PatternRecognizer | None:
    """Always-redacted words (clients, projects, code words): whole words, any case."""
    cleaned = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return PatternRecognizer(
        supported_entity="DENY_LIST",
        name="HearthDenyListRecognizer",
        deny_list=cleaned,
        deny_list_score=1.0,
    )
