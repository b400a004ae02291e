"""Recognizers Hearth adds to Presidio's: secrets and credentials, the deny-list."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

SECRET_TYPES = ("API_KEY", "PRIVATE_KEY", "PASSWORD", "JWT")

_SECRETS: dict[str, list[tuple[str, str, float]]] = {
    "API_KEY": [
        ("anthropic", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", 0.95),
        ("openai", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", 0.9),
        ("google", r"\bAIza[0-9A-Za-z_\-]{35}\b", 0.95),
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


def secret_recognizers() -> list[PatternRecognizer]:
    return [
        PatternRecognizer(
            supported_entity=entity,
            name=f"Hearth{entity.title().replace('_', '')}Recognizer",
            patterns=[Pattern(name, regex, score) for name, regex, score in patterns],
            global_regex_flags=0,  # case matters in key prefixes; patterns opt in
        )
        for entity, patterns in _SECRETS.items()
    ]


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
