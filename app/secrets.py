"""API keys, kept in the operating system's keyring and nowhere else.

This is the only module that talks to ``keyring``.  A key never goes into
settings, the database, logs, exception text or the UI (which shows the last
four characters).  Without a usable keyring backend cloud providers are
unavailable; there is no plaintext fallback.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

from app.errors import HearthError, UsageError

log = logging.getLogger("hearth.secrets")

SERVICE = "hearth"
_INDEX = "__providers__"  # the list of provider names (not secret) kept beside the keys
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class SecretStoreUnavailableError(HearthError):
    """No usable OS keyring: cloud providers are unavailable."""


@dataclass(frozen=True)
class StoredKey:
    provider: str
    last4: str


def mask(key: str) -> str:
    return "…" + key[-4:] if len(key) >= 8 else "…"


def _check_provider(provider: str) -> str:
    name = provider.strip().lower()
    if not _NAME.fullmatch(name) or name == _INDEX:
        raise UsageError(
            "A provider name may hold lower-case letters, digits, '.', '_' and '-' "
            "(for example openai, anthropic, google or my-gateway)."
        )
    return name


class SecretStore:
    def __init__(self, service: str | None = None) -> None:
        self.service = service or os.environ.get("HEARTH_KEYRING_SERVICE") or SERVICE

    def _backend(self):  # type: ignore[no-untyped-def]
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or type(backend).__name__ in (
            "PlaintextKeyring",
            "EncryptedKeyring",
        ):
            raise SecretStoreUnavailableError(
                "No usable OS keyring was found, so cloud providers are unavailable.",
                hint="Hearth keeps API keys only in the system keyring (Secret Service, "
                "macOS Keychain or Windows Credential Locker); it never stores them in a file.",
            )
        return backend

    def status(self) -> tuple[bool, str]:
        """(usable, backend name or the reason it is not)."""
        try:
            backend = self._backend()
            backend.get_password(self.service, _INDEX)  # unlocked and answering?
        except SecretStoreUnavailableError as exc:
            return False, exc.message
        except Exception as exc:  # the backend's own errors carry no key
            return False, f"the keyring did not answer ({type(exc).__name__})"
        return True, type(backend).__module__.rsplit(".", 1)[-1]

    def _call(self, what: str, fn, *args: str):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except SecretStoreUnavailableError:
            raise
        except Exception as exc:
            # Never include the arguments: one of them may be the key.
            log.info("keyring %s failed: %s", what, type(exc).__name__)
            raise SecretStoreUnavailableError(
                f"The OS keyring refused to {what} ({type(exc).__name__}).",
                hint="Unlock the keyring and try again.",
            ) from None

    def _providers(self) -> list[str]:
        backend = self._backend()
        raw = self._call("read", backend.get_password, self.service, _INDEX) or ""
        return [p for p in raw.split(",") if p]

    def set(self, provider: str, key: str) -> StoredKey:
        name = _check_provider(provider)
        key = key.strip()
        if not key:
            raise UsageError("The key is empty; nothing was stored.")
        if any(c.isspace() for c in key) or not key.isprintable():
            raise UsageError("An API key cannot contain spaces or control characters.")
        backend = self._backend()
        self._call("store the key", backend.set_password, self.service, name, key)
        providers = self._providers()
        if name not in providers:
            index = ",".join(sorted([*providers, name]))
            self._call("store the key", backend.set_password, self.service, _INDEX, index)
        return StoredKey(name, mask(key))

    def get(self, provider: str) -> str | None:
        backend = self._backend()
        value = self._call("read", backend.get_password, self.service, _check_provider(provider))
        return str(value) if value else None

    def delete(self, provider: str) -> None:
        name = _check_provider(provider)
        backend = self._backend()
        if self.get(name) is None:
            raise UsageError(f"No key is stored for {name}.")
        self._call("delete the key", backend.delete_password, self.service, name)
        index = ",".join(p for p in self._providers() if p != name)
        self._call("update the key list", backend.set_password, self.service, _INDEX, index)

    def list(self) -> list[StoredKey]:
        out = []
        for name in self._providers():
            key = self.get(name)
            if key:
                out.append(StoredKey(name, mask(key)))
        return out
