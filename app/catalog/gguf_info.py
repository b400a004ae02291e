"""Reading a GGUF file's header and metadata without loading the model."""

from __future__ import annotations

import mmap
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
    # The shape that sets the KV cache's size (None where the file does not say).
    layers: int | None = None
    embedding: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None

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


_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_WANTED = ("general.", "tokenizer.chat_template")
_SHAPE = (
    ".context_length",
    ".block_count",
    ".embedding_length",
    ".attention.head_count",
    ".attention.head_count_kv",
    ".attention.key_length",
)


class _Cursor:
    """Sequential reads over a memory-mapped GGUF header."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0

    def unpack(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        size = self.unpack("<Q")
        if self.pos + size > len(self.buf):
            raise ValueError("string runs past the end of the file")
        raw = self.buf[self.pos : self.pos + size]
        self.pos += size
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        size = self.unpack("<Q")
        self.pos += size

    def value(self, kind: int, keep: bool) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if kind == _ARRAY:
            item_kind = self.unpack("<I")
            count = self.unpack("<Q")
            if item_kind in _SCALARS:
                size = count * struct.calcsize(_SCALARS[item_kind])
                self.pos += size
            else:
                for _ in range(count):
                    self.value(item_kind, False)
            return None
        raise ValueError(f"unknown metadata type {kind}")


def _read(path: Path) -> tuple[dict[str, Any], int, int]:
    """Metadata Hearth uses, the parameter count, and where the tensor data ends."""
    import gguf

    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        cur = _Cursor(buf)
        cur.pos = 8
        n_tensors = cur.unpack("<Q")
        n_kv = cur.unpack("<Q")
        meta: dict[str, Any] = {}
        for _ in range(n_kv):
            key = cur.string()
            kind = cur.unpack("<I")
            keep = key.startswith(_WANTED) or key.endswith(_SHAPE)
            value = cur.value(kind, keep)
            if keep:
                meta[key] = value
        params = 0
        data_size = 0
        for _ in range(n_tensors):
            cur.skip_string()
            n_dims = cur.unpack("<I")
            count = 1
            for _ in range(n_dims):
                count *= cur.unpack("<Q")
            qtype = cur.unpack("<I")
            offset = cur.unpack("<Q")
            block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(qtype)]
            params += count
            data_size = max(data_size, offset + count * type_size // block)
        align = int(meta.get("general.alignment", 32))
        data_start = (cur.pos + align - 1) // align * align
        return meta, params, data_start + data_size


def inspect_gguf(path: Path) -> GGUFInfo:
    """Validate ``path`` and read what Hearth shows about a model.

    A hand-rolled header walk: ``gguf.GGUFReader`` builds an object per
    vocabulary entry and takes half a minute on a 262k-token vocabulary.
    """
    version = check_header(path)
    import gguf

    try:
        meta, params, data_end = _read(path)
    except (ValueError, IndexError, KeyError, OSError, struct.error, OverflowError) as exc:
        raise ModelError(
            f"{path.name} is damaged or truncated ({type(exc).__name__}).",
            hint="Download or copy the file again.",
        ) from None
    arch = meta.get("general.architecture")
    file_type = meta.get("general.file_type")
    size = path.stat().st_size
    if not params or data_end > size:
        raise ModelError(f"{path.name} is truncated: its tensors end past the end of the file.")
    if not isinstance(arch, str) or not arch:
        raise ModelError(f"{path.name} does not say which model architecture it holds.")
    quant: str | None = None
    if isinstance(file_type, int):
        try:
            quant = gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_")
        except ValueError:
            quant = f"type {file_type}"
    if arch not in gguf.MODEL_ARCH_NAMES.values():
        raise ModelError(
            f"{path.name} holds a {arch!r} model, an architecture this version of "
            "llama.cpp does not support.",
            hint="Pick a GGUF of a supported architecture (Llama, Qwen, Gemma, Mistral, Phi…).",
        )
    context = meta.get(f"{arch}.context_length")
    name = meta.get("general.name")

    def shape(key: str) -> int | None:
        value = meta.get(f"{arch}.{key}")
        return int(value) if isinstance(value, int) and value > 0 else None

    return GGUFInfo(
        path=path,
        size_bytes=size,
        version=version,
        architecture=arch,
        name=name if isinstance(name, str) else None,
        parameters=params,
        quantization=quant,
        context_length=int(context) if isinstance(context, int) else None,
        has_chat_template=bool(meta.get("tokenizer.chat_template")),
        layers=shape("block_count"),
        embedding=shape("embedding_length"),
        heads=shape("attention.head_count"),
        kv_heads=shape("attention.head_count_kv") or shape("attention.head_count"),
        head_dim=shape("attention.key_length"),
    )
