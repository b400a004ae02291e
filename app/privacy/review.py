"""The user's corrections to what the redactor found, for one message."""

from __future__ import annotations

from collections.abc import Iterable

from app.privacy.redactor import Entity

CUSTOM_TYPE = "CUSTOM"


def reviewed_entities(
    text: str,
    found: list[Entity],
    *,
    unredacted: Iterable[int] = (),
    extra: Iterable[tuple[int, int]] = (),
) -> list[Entity]:
    """``found`` minus the indices the user un-redacted, plus the spans they marked.

    Marked spans are trimmed of surrounding whitespace, clipped to the text, and
    redacted as ``CUSTOM``; a marked span wins over a detection it overlaps.
    """
    drop = set(unredacted)
    marked: list[Entity] = []
    for start, end in extra:
        start, end = max(0, min(start, end)), min(len(text), max(start, end))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            marked.append(Entity(CUSTOM_TYPE, start, end, 1.0))
    kept = [
        e
        for i, e in enumerate(found)
        if i not in drop and all(e.end <= m.start or e.start >= m.end for m in marked)
    ]
    return sorted(kept + marked, key=lambda e: e.start)
