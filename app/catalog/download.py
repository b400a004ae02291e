"""Downloading a catalog model: progress, cancel, resume, SHA-256, atomic move.

The partial file lives in ``models/.downloads/NAME.part``.  A cancelled or
dropped download keeps it, and the next attempt resumes with an HTTP Range
request; a server that ignores Range restarts it cleanly.  The file is moved
into the models folder only after its size and SHA-256 match the catalog,
so a bad or partial file is never registered.  Downloads are refused in
offline mode; otherwise each host (the catalog's, then any redirect) is
opened only for this download through the network policy.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from app.catalog.catalog import CatalogEntry
from app.errors import HearthError, ModelError, PolicyError
from app.privacy.offline import refused_by_policy

Progress = Callable[[int, int], None]
CHUNK = 1 << 20
MAX_REDIRECTS = 6


class DownloadCancelledError(HearthError):
    """The user cancelled; the partial file is kept for a later resume."""


def partial_path(models_dir: Path, entry: CatalogEntry) -> Path:
    return models_dir / ".downloads" / f"{entry.filename}.part"


@contextmanager
def _opened(host: str) -> Iterator[None]:
    from app.privacy.network import current_policy

    policy = current_policy()
    with policy.consented(host) if policy is not None else nullcontext():
        yield


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def refuse_offline(mode: str) -> None:
    if mode == "offline":
        raise PolicyError(
            "Hearth is in offline mode, so downloads are refused. Nothing was fetched.",
            hint="Switch the network mode to local network or cloud to download a model.",
        )


def download(
    entry: CatalogEntry,
    models_dir: Path,
    *,
    mode: str,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Fetch ``entry`` into ``models_dir``; returns the verified file's path."""
    refuse_offline(mode)
    final = models_dir / entry.filename
    part = partial_path(models_dir, entry)
    part.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    have = part.stat().st_size if part.exists() else 0
    if have > entry.size_bytes:
        part.unlink()
        have = 0
    if have:  # resuming: the hash must cover the bytes already here
        with part.open("rb") as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
    try:
        have, digest = _fetch(entry, part, have, digest, progress, cancel, timeout_s)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            part.unlink(missing_ok=True)
            raise ModelError(
                f"The disk is full: {entry.title} ({_mb(entry.size_bytes)}) does not fit. "
                "The partial download was deleted.",
                hint="Free some space and try again.",
            ) from None
        raise
    if have != entry.size_bytes:
        raise ModelError(
            f"The download stopped at {_mb(have)} of {_mb(entry.size_bytes)}.",
            hint="Run it again to resume where it stopped.",
        )
    if digest.hexdigest() != entry.sha256:
        part.unlink(missing_ok=True)
        raise ModelError(
            f"The downloaded {entry.filename} does not match the catalog's SHA-256, so it "
            "was discarded and not registered.",
            hint="The server sent different bytes (a proxy, or a changed file). Try again later.",
        )
    os.replace(part, final)
    return final


def _fetch(
    entry: CatalogEntry,
    part: Path,
    have: int,
    digest: Any,
    progress: Progress | None,
    cancel: threading.Event | None,
    timeout_s: float,
) -> tuple[int, Any]:
    import httpx

    url = entry.url
    with httpx.Client(timeout=httpx.Timeout(timeout_s), trust_env=False) as client:
        for _ in range(MAX_REDIRECTS):
            host = (urlsplit(url).hostname or "").lower()
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with _opened(host), client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    if status in (301, 302, 303, 307, 308) and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if status == 416 and have == entry.size_bytes:
                        return have, digest  # already complete
                    if status == 200 and have:  # the server ignored Range: start over
                        have, digest = 0, hashlib.sha256()
                    elif status not in (200, 206):
                        raise ModelError(
                            f"The download server {host} answered HTTP {status}; "
                            "nothing was registered."
                        )
                    with part.open("ab" if have else "wb") as out:
                        for block in response.iter_bytes():
                            if cancel is not None and cancel.is_set():
                                raise DownloadCancelledError(
                                    f"Download cancelled at {_mb(have)} of "
                                    f"{_mb(entry.size_bytes)}; run it again to resume."
                                )
                            out.write(block)
                            digest.update(block)
                            have += len(block)
                            if progress is not None:
                                progress(have, entry.size_bytes)
                    return have, digest
            except httpx.TimeoutException:
                raise ModelError(
                    f"{host} stopped answering at {_mb(have)} of {_mb(entry.size_bytes)}.",
                    hint="Run the download again to resume.",
                ) from None
            except httpx.TransportError as exc:
                if refused_by_policy(exc):
                    raise PolicyError(f"The network mode blocks {host}.") from None
                raise ModelError(
                    f"The connection to {host} dropped at {_mb(have)} of "
                    f"{_mb(entry.size_bytes)}; what arrived is kept.",
                    hint="Run the download again to resume.",
                ) from None
    raise ModelError(f"Too many redirects while downloading {entry.filename}.")
