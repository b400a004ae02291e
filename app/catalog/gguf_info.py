"""Reading a GGUF file's header and metadata without loading the model."""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.errors import ModelError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    size_bytes: int
    version: int
    architecture: str
    name: str | None
    parameters: int | None
    quantization: str | None
    context_length: int | None
    has_chat_template: bool

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def check_header(path: Path) -> int:
    """Raise :class:`ModelError` unless ``path`` starts like a GGUF file."""
    if not path.exists():
        raise ModelError(f"There is no file at {path}.")
    if not path.is_file():
        raise ModelError(f"{path} is not a file.")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ModelError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise ModelError(
            f"{path.name} is not a GGUF model file.",
            hint="Hearth runs quantized models in the GGUF format (files ending in .gguf).",
        )
    version = struct.unpack("<I", head[4:8])[0]
    if version not in SUPPORTED_VERSIONS:
        raise ModelError(f"{path.name} uses GGUF version {version}; Hearth reads versions 2 and 3.")
    return version


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return None
    return field.contents()


def inspect_gguf(path: Path) -> GGUFInfo:
    """Validate ``path`` and read what Hearth shows about a model."""
    version = check_header(path)
    import gguf

    try:
        reader = gguf.GGUFReader(str(path), "r")
        arch = _field(reader, "general.architecture")
        file_type = _field(reader, "general.file_type")
        tensors = list(reader.tensors)
        data_end = max((int(t.data_offset) + int(t.n_bytes) for t in tensors), default=0)
    except (ValueError, IndexError, KeyError, OSError, struct.error, TypeError) as exc:
        raise ModelError(
            f"{path.name} is damaged or truncated ({type(exc).__name__}).",
            hint="Download or copy the file again.",
        ) from None
    size = path.stat().st_size
    if not tensors or data_end > size:
        raise ModelError(f"{path.name} is truncated: its tensors end past the end of the file.")
    if not isinstance(arch, str) or not arch:
        raise ModelError(f"{path.name} does not say which model architecture it holds.")
    quant: str | None = None
    if isinstance(file_type, int):
        try:
            quant = gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_")
        except ValueError:
            quant = f"type {file_type}"
    context = _field(reader, f"{arch}.context_length")
    name = _field(reader, "general.name")
    return GGUFInfo(
        path=path,
        size_bytes=size,
        version=version,
        architecture=arch,
        name=name if isinstance(name, str) else None,
        parameters=sum(int(t.n_elements) for t in tensors),
        quantization=quant,
        context_length=int(context) if isinstance(context, int) else None,
        has_chat_template=bool(_field(reader, "tokenizer.chat_template")),
    )
