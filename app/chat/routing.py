"""Routing rules, evaluated before each message, each with a reason the user sees.

* Privacy first: a message holding a chosen sensitive type (SSNs, card and
  bank numbers, medical terms, deny-list words, secrets) never goes to the
  cloud, even redacted.
* Overflow: when a prompt is larger than the local model's context window,
  or a local reply would take too long, a cloud model is *suggested* (the
  user still approves the message in the consent dialog).
* A per-conversation default engine (stored with the conversation).
* A monthly cloud budget cap blocks cloud sends once reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.config import Settings
from app.errors import PolicyError

if TYPE_CHECKING:
    from app.chat.cloud import CloudPlan
    from app.privacy.redactor import Entity
    from app.storage.history import History

# Words that make a message health information (a conservative, English list).
MEDICAL_TERMS = [
    "diagnosis", "diagnosed", "prescription", "prescribed", "medication", "dosage",
    "symptom", "symptoms", "therapy", "chemotherapy", "biopsy", "tumor", "tumour",
    "cancer", "hiv", "aids", "diabetes", "insulin", "depression", "antidepressant",
    "psychiatric", "psychiatrist", "pregnancy", "pregnant", "miscarriage", "std",
    "hepatitis", "epilepsy", "seizure", "dementia", "alzheimer", "alzheimer's",
    "schizophrenia", "bipolar", "adhd", "autism", "overdose", "rehab", "addiction",
    "medical record", "patient", "mri", "blood test", "lab results",
]  # fmt: skip


LOCAL_DEFAULT = "local: the default; nothing left this computer"
LOCAL_SENSITIVE = "local: it contains {kinds}, and privacy-sensitive requests always stay local"
CLOUD_APPROVED = "cloud: approved by you for this message"


def conversation_target(default_engine: str | None) -> str | None:
    """The cloud target ("PROVIDER:MODEL") a conversation sends to by default, if any."""
    if default_engine and default_engine.startswith("cloud:"):
        return default_engine.removeprefix("cloud:")
    return None


@dataclass(frozen=True)
class Decision:
    """Where a message may go, and why."""

    allowed: bool
    reason: str


def _medical(text: str, extra: list[str]) -> int:
    words = [*MEDICAL_TERMS, *extra]
    pattern = (
        r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b"
    )
    return len(re.findall(pattern, text, re.IGNORECASE))


def sensitive_types(text: str, found: list[Entity], settings: Settings) -> dict[str, int]:
    """The local-only types present in ``text`` (``found``: what the redactor detected)."""
    chosen = {t.upper() for t in settings.routing.local_only_types}
    counts: dict[str, int] = {}
    for e in found:
        if e.type in chosen:
            counts[e.type] = counts.get(e.type, 0) + 1
    if "MEDICAL" in chosen:
        n = _medical(text, settings.routing.medical_terms)
        if n:
            counts["MEDICAL"] = counts.get("MEDICAL", 0) + n
    if "DENY_LIST" in chosen and settings.privacy.deny_list and "DENY_LIST" not in counts:
        words = "|".join(re.escape(w) for w in settings.privacy.deny_list if w.strip())
        if words and re.search(rf"\b(?:{words})\b", text, re.IGNORECASE):
            counts["DENY_LIST"] = 1
    return counts


def cloud_decision(plan: CloudPlan, settings: Settings, history: History) -> Decision:
    if plan.sensitive:
        kinds = ", ".join(f"{t} ({n})" for t, n in sorted(plan.sensitive.items()))
        return Decision(
            False,
            f"This message contains {kinds}: privacy-sensitive requests always stay local.",
        )
    cap = settings.costs.monthly_budget_usd
    if cap > 0:
        from app.costs.usage import cloud_spend_this_month

        spent = cloud_spend_this_month(history)
        estimate = plan.estimated_cost or 0.0
        if spent + estimate > cap:
            return Decision(
                False,
                f"The monthly cloud budget of ${cap:,.2f} would be exceeded "
                f"(spent ${spent:,.2f} this month, this message up to ${estimate:,.4f}).",
            )
    return Decision(True, CLOUD_APPROVED)


def check_cloud_allowed(plan: CloudPlan, settings: Settings, history: History) -> None:
    decision = cloud_decision(plan, settings, history)
    if not decision.allowed:
        raise PolicyError(
            decision.reason + " Nothing was sent.",
            hint="Send it to the local model instead, or change the rules in Settings.",
        )


@dataclass(frozen=True)
class Suggestion:
    reason: str


def overflow_suggestion(
    prompt_tokens: int,
    context_length: int,
    max_tokens: int,
    local_tokens_per_s: float | None,
    settings: Settings,
) -> Suggestion | None:
    """Suggest a cloud model when the local model cannot (or would be slow to) answer."""
    if prompt_tokens + min(max_tokens, context_length // 2) > context_length:
        return Suggestion(
            f"This prompt (about {prompt_tokens:,} tokens) is larger than the local model's "
            f"context window ({context_length:,}). A cloud model could take it whole."
        )
    if local_tokens_per_s and local_tokens_per_s > 0:
        seconds = max_tokens / local_tokens_per_s
        if seconds > settings.routing.overflow_seconds:
            return Suggestion(
                f"A full local reply could take about {seconds:,.0f} s at "
                f"{local_tokens_per_s:.1f} tokens/s. A cloud model would be faster."
            )
    return None
