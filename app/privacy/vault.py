"""Placeholders: stable per conversation, restored locally, never invented.

The vault maps each (type, value) to a placeholder such as ``<PERSON_1>``.
:func:`restore` turns placeholders in a reply back into the values, also in
the slightly reformatted shapes models produce (``PERSON_1``, ``[PERSON_1]``,
``<person_1>``); a placeholder the vault does not know stays as it is.
:class:`StreamRestorer` does the same for a reply that arrives in chunks,
holding back only a tail that could still become a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# U+2060 WORD JOINER: invisible, and it breaks the placeholder pattern.
ESCAPE_MARK = "\u2060"
_TYPE = r"[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*"
_LITERAL = re.compile(rf"(?<![A-Za-z0-9])({_TYPE})_(\d+)(?![A-Za-z0-9])")


@dataclass
class Vault:
    """One conversation's placeholder mapping (kept on this machine only)."""

    by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    by_placeholder: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def placeholder(self, entity_type: str, value: str) -> str:
        key = (entity_type, value)
        if key not in self.by_value:
            n = self.counters.get(entity_type, 0) + 1
            self.counters[entity_type] = n
            token = f"<{entity_type}_{n}>"
            self.by_value[key] = token
            self.by_placeholder[token] = value
        return self.by_value[key]

    def entries(self) -> list[tuple[str, str, str]]:
        """(placeholder, type, value) rows, for storage."""
        return [(p, t, v) for (t, v), p in self.by_value.items()]

    @classmethod
    def from_entries(cls, rows: Iterable[tuple[str, str, str]]) -> Vault:
        vault = cls()
        for placeholder, entity_type, value in rows:
            vault.by_value[(entity_type, value)] = placeholder
            vault.by_placeholder[placeholder] = value
            n = int(placeholder.rsplit("_", 1)[1].rstrip(">"))
            vault.counters[entity_type] = max(vault.counters.get(entity_type, 0), n)
        return vault

    def types(self) -> list[str]:
        return sorted({t for t, _ in self.by_value}, key=len, reverse=True)

    def pattern(self) -> re.Pattern[str] | None:
        types = self.types()
        if not types:
            return None
        alt = "|".join(re.escape(t) for t in types)
        return re.compile(
            rf"(?:(?:<|\[|\{{|&lt;)\s?)?(?<![A-Za-z0-9_])({alt})[_ ](\d+)(?![0-9])"
            rf"(?:\s?(?:>|\]|\}}|&gt;))?",
            re.IGNORECASE,
        )


def escape_placeholder_lookalikes(text: str) -> str:
    """Break text that looks like a placeholder so it can never collide with one."""
    return _LITERAL.sub(lambda m: f"{m.group(1)}{ESCAPE_MARK}_{m.group(2)}", text)


def unescape(text: str) -> str:
    return text.replace(ESCAPE_MARK + "_", "_")


def restore(text: str, vault: Vault) -> str:
    pattern = vault.pattern()
    if pattern is None:
        return unescape(text)

    def swap(m: re.Match[str]) -> str:
        token = f"<{m.group(1).upper()}_{m.group(2)}>"
        value = vault.by_placeholder.get(token)
        return value if value is not None else m.group(0)

    return unescape(pattern.sub(swap, text))


_OPENERS = ("&lt;", "<", "[", "{")
_PENDING_NUMBER = re.compile(r"[_ ]\d*")


class StreamRestorer:
    """Restores placeholders in a streamed reply, chunk by chunk."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._types = vault.types()
        self._buffer = ""

    def _is_partial(self, tail: str) -> bool:
        """Could ``tail`` still grow into a placeholder?"""
        rest = tail
        for opener in _OPENERS:
            if rest.startswith(opener):
                rest = rest[len(opener) :].lstrip(" ")
                break
        else:
            if "&lt;".startswith(rest):
                return True
        if not rest:
            return True
        upper = rest.upper()
        for t in self._types:
            if len(upper) <= len(t):
                if t.startswith(upper):
                    return True
            elif upper.startswith(t) and _PENDING_NUMBER.fullmatch(upper[len(t) :]):
                return True
        return False

    def feed(self, chunk: str) -> str:
        """Return the restored text that is safe to show now."""
        self._buffer += chunk
        buf = self._buffer
        cut = len(buf)
        if self._types:
            for i in range(max(0, len(buf) - 48), len(buf)):
                if i and (buf[i - 1].isalnum() or buf[i - 1] == "_"):
                    continue
                if (buf[i] in "<[{&" or buf[i].isalpha()) and self._is_partial(buf[i:]):
                    cut = i
                    break
        ready, self._buffer = buf[:cut], buf[cut:]
        return restore(ready, self.vault)

    def finish(self) -> str:
        out, self._buffer = self._buffer, ""
        return restore(out, self.vault)
