"""The registry of local GGUF models the user can chat with."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.catalog.default_model import (
    DEFAULT_MODEL_NAME,
    Progress,
    expected_sha256,
    is_prepared,
    prepare_default_model,
)
from app.catalog.gguf_info import GGUFInfo, inspect_gguf
from app.errors import ModelError, NotFoundError, UsageError
from app.storage.history import History
from app.storage.models import ModelRecord


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    sha256: str | None
    size_bytes: int
    architecture: str
    parameters: int | None
    quantization: str | None
    context_length: int | None
    has_chat_template: bool
    added_at: datetime
    is_default: bool = False
    gpu_layers: str | None = None  # per-model override of model.gpu_layers

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "architecture": self.architecture,
            "parameters": self.parameters,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "has_chat_template": self.has_chat_template,
            "added_at": self.added_at.isoformat(),
            "present": self.path.is_file(),
            "default": self.is_default,
            "gpu_layers": self.gpu_layers,
        }


def sha256_file(path: Path, progress: Progress | None = None, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def name_for(path: Path) -> str:
    stem = path.name.removesuffix(".gguf")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-").lower() or "model"


class ModelRegistry:
    def __init__(self, history: History, models_dir: Path, default_name: str = "") -> None:
        self._history = history
        self.models_dir = models_dir
        self.default_name = default_name or DEFAULT_MODEL_NAME

    def _entry(self, row: ModelRecord) -> ModelEntry:
        return ModelEntry(
            name=row.name,
            path=Path(row.path),
            sha256=row.sha256,
            size_bytes=row.size_bytes,
            architecture=row.architecture,
            parameters=row.parameters,
            quantization=row.quantization,
            context_length=row.context_length,
            has_chat_template=row.has_chat_template,
            added_at=row.added_at,
            is_default=row.name == self.default_name,
            gpu_layers=row.gpu_layers,
        )

    def list(self) -> list[ModelEntry]:
        with self._history.session() as session:
            rows = session.scalars(select(ModelRecord).order_by(ModelRecord.name)).all()
            return [self._entry(r) for r in rows]

    def get(self, name: str) -> ModelEntry:
        with self._history.session() as session:
            row = session.get(ModelRecord, name)
            if row is None:
                raise NotFoundError(
                    f"No model named {name!r}.", hint="'hearth models list' shows the models."
                )
            return self._entry(row)

    def add(self, path: Path, name: str | None = None, sha256: str | None = None) -> ModelEntry:
        """Validate a local GGUF and register it under ``name``."""
        path = path.expanduser().resolve()
        info = inspect_gguf(path)
        return self._register(path, self._free_name(path, name), info, sha256)

    def import_file(
        self, path: Path, name: str | None = None, progress: Progress | None = None
    ) -> ModelEntry:
        """Validate a GGUF, hash it (with progress), then register it with its SHA-256."""
        path = path.expanduser().resolve()
        info = inspect_gguf(path)
        name = self._free_name(path, name)  # refuse a taken name before the slow hash
        return self._register(path, name, info, sha256_file(path, progress))

    def _free_name(self, path: Path, name: str | None) -> str:
        name = name or name_for(path)
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,200}", name):
            raise UsageError("A model name may hold letters, digits, '.', '_' and '-' only.")
        with self._history.session() as session:
            self._check_free(session.get(ModelRecord, name), name, path)
        return name

    @staticmethod
    def _check_free(existing: ModelRecord | None, name: str, path: Path) -> None:
        if existing is not None and Path(existing.path) != path:
            raise UsageError(
                f"A model named {name!r} is already registered ({existing.path}).",
                hint="Pick another name with --name, or remove the old one first.",
            )

    def _register(self, path: Path, name: str, info: GGUFInfo, sha256: str | None) -> ModelEntry:
        with self._history.session() as session:
            existing = session.get(ModelRecord, name)
            self._check_free(existing, name, path)
            row = existing or ModelRecord(name=name)
            row.path = str(path)
            row.sha256 = sha256
            row.size_bytes = info.size_bytes
            row.architecture = info.architecture
            row.parameters = info.parameters
            row.quantization = info.quantization
            row.context_length = info.context_length
            row.has_chat_template = info.has_chat_template
            session.add(row)
            session.flush()
            return self._entry(row)

    def remove(self, name: str) -> None:
        with self._history.session() as session:
            row = session.get(ModelRecord, name)
            if row is None:
                raise NotFoundError(f"No model named {name!r}.")
            session.delete(row)

    def set_gpu_layers(self, name: str, value: str | None) -> ModelEntry:
        """Override model.gpu_layers for one model (None: follow the setting)."""
        if value is not None and not re.fullmatch(r"auto|all|off|\d{1,4}", value):
            raise UsageError("GPU layers must be auto, all, off or a number of layers.")
        with self._history.session() as session:
            row = session.get(ModelRecord, name)
            if row is None:
                raise NotFoundError(f"No model named {name!r}.")
            row.gpu_layers = value
            session.flush()
            return self._entry(row)

    def verify(self, name: str, progress: Progress | None = None) -> tuple[bool, str]:
        """Hash the model's file; (matches the recorded SHA-256, actual hash).

        A model added without a known hash gets this one recorded (trust on first use).
        """
        entry = self.get(name)
        if not entry.path.is_file():
            raise ModelError(f"The file of model {name!r} is gone: {entry.path}.")
        actual = sha256_file(entry.path, progress)
        if entry.sha256 is None:
            with self._history.session() as session:
                row = session.get(ModelRecord, name)
                if row is not None:
                    row.sha256 = actual
            return True, actual
        return actual == entry.sha256, actual

    def ensure_default(self, progress: Progress | None = None) -> ModelEntry:
        """Prepare the embedded default model (first run) and register it."""
        path = prepare_default_model(self.models_dir, progress)
        try:
            entry = self.get(DEFAULT_MODEL_NAME)
            if entry.path == path.resolve():
                return entry
        except NotFoundError:
            pass
        return self.add(path, DEFAULT_MODEL_NAME, sha256=expected_sha256())

    def default_prepared(self) -> bool:
        return is_prepared(self.models_dir)

    def resolve(self, name: str | None) -> ModelEntry:
        """The model to chat with: ``name``, else the configured default."""
        wanted = name or self.default_name
        if wanted == DEFAULT_MODEL_NAME:
            return self.ensure_default()
        entry = self.get(wanted)
        if not entry.path.is_file():
            raise ModelError(
                f"The file of model {wanted!r} is gone: {entry.path}.",
                hint="Put it back, or remove the model with 'hearth models remove'.",
            )
        return entry
