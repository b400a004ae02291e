"""The curated model catalog (``models/catalog.toml``): what can be downloaded, and its hash."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.catalog.fit import ModelShape
from app.errors import ConfigError, NotFoundError

BUNDLED = Path(__file__).resolve().parents[2] / "models" / "catalog.toml"
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    url: str
    filename: str
    size_bytes: int
    sha256: str
    parameters: str
    quantization: str
    context_length: int
    license: str
    layers: int
    kv_heads: int
    head_dim: int

    def shape(self) -> ModelShape:
        """For the fit estimate before the file is here."""
        return ModelShape(self.size_bytes, self.layers, self.kv_heads, self.head_dim)


def load_catalog(path: Path = BUNDLED, user_file: Path | None = None) -> dict[str, CatalogEntry]:
    """The bundled catalog plus the user's own ``catalog.toml`` (a team's GGUF mirror)."""
    out = _parse(path)
    if user_file is not None and user_file.exists():
        out.update(_parse(user_file))
    return out


def _parse(path: Path) -> dict[str, CatalogEntry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"The model catalog {path} cannot be read ({exc}).") from None
    out: dict[str, CatalogEntry] = {}
    for name, raw in data.get("models", {}).items():
        try:
            entry = CatalogEntry(
                name=name,
                title=str(raw["title"]),
                url=str(raw["url"]),
                filename=str(raw["filename"]),
                size_bytes=int(raw["size_bytes"]),
                sha256=str(raw["sha256"]).lower(),
                parameters=str(raw.get("parameters", "")),
                quantization=str(raw.get("quantization", "")),
                context_length=int(raw.get("context_length", 0)),
                license=str(raw.get("license", "")),
                layers=int(raw.get("layers", 32)),
                kv_heads=int(raw.get("kv_heads", 8)),
                head_dim=int(raw.get("head_dim", 128)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"Catalog entry {name!r} in {path} is malformed ({exc}).") from None
        if not _SHA.fullmatch(entry.sha256) or "/" in entry.filename:
            raise ConfigError(f"Catalog entry {name!r} needs a SHA-256 and a plain file name.")
        out[name] = entry
    return out


def catalog_entry(name: str, user_file: Path | None = None) -> CatalogEntry:
    catalog = load_catalog(BUNDLED, user_file)
    if name not in catalog:
        raise NotFoundError(
            f"{name!r} is not in the model catalog.",
            hint="Known: " + ", ".join(sorted(catalog)) + ".",
        )
    return catalog[name]
