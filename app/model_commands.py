"""``hearth models``: list, add, info, verify, remove, download, catalog, gpu."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any

from app.catalog.default_model import DEFAULT_MODEL_NAME
from app.cli import emit_json, human_size, note, progress_printer
from app.core import Hearth
from app.errors import ModelError, UsageError


def _fit_doc(shape: Any, n_ctx: int, hw: Any) -> dict[str, Any]:
    from app.catalog.fit import fit

    return fit(shape, n_ctx, hw).to_json() | {"n_ctx": n_ctx}


def _ollama_section(hearth: Hearth) -> dict[str, Any] | None:
    """Ollama's status and models, when the user turned the Ollama engine on."""
    if not hearth.settings.engines.ollama.enabled:
        return None
    return hearth.ollama_status()


def cmd_models(hearth: Hearth, args: argparse.Namespace) -> int:
    action = args.action
    handler = {
        "list": _list,
        "add": _add,
        "info": _info,
        "verify": _verify,
        "remove": _remove,
        "download": _download,
        "catalog": _catalog,
        "gpu": _gpu,
    }.get(action)
    if handler is None:
        raise UsageError(f"Unknown models action {action!r}.")
    return handler(hearth, args)


def _list(hearth: Hearth, args: argparse.Namespace) -> int:
    entries = hearth.models.list()
    ollama = _ollama_section(hearth)
    if args.json:
        doc: dict[str, Any] = {"models": [e.to_json() for e in entries]}
        if ollama is not None:
            doc["ollama"] = ollama
        emit_json(doc)
        return 0
    if not entries:
        note("No models registered yet; the embedded default is prepared on first chat.")
    for e in entries:
        mark = "*" if e.is_default else " "
        missing = "" if e.path.is_file() else "  [file missing]"
        print(
            f"{mark} {e.name}  {e.architecture}  {e.quantization or '?'}  "
            f"{human_size(e.size_bytes)}{missing}"
        )
    if ollama is not None:
        print(f"\nOllama at {ollama['base_url']}: {ollama['status']}")
        for name in ollama["models"]:
            print(f"  {name}  (use: hearth chat --engine ollama --model {name})")
    return 0


def _add(hearth: Hearth, args: argparse.Namespace) -> int:
    entry = hearth.models.import_file(
        Path(args.path), args.name, progress_printer("Computing SHA-256")
    )
    digest = entry.sha256 or ""
    if args.json:
        emit_json(entry.to_json())
    else:
        note(
            f"Added model {entry.name} ({entry.architecture}, {entry.quantization}, "
            f"{'chat template' if entry.has_chat_template else 'no chat template'}, "
            f"SHA-256 {digest[:12]}…)."
        )
    return 0


def _info(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.catalog.fit import context_for, shape_from_info
    from app.catalog.gguf_info import inspect_gguf
    from app.catalog.hardware import detect

    registry = hearth.models
    if args.name == DEFAULT_MODEL_NAME and not registry.default_prepared():
        note("Preparing the embedded default model (first run)…")
        registry.ensure_default(progress_printer("Preparing model"))
    entry = registry.get(args.name)
    doc = entry.to_json()
    if entry.path.is_file():
        info = inspect_gguf(entry.path)
        n_ctx = context_for(hearth.settings.model.n_ctx, info.context_length)
        doc["fit"] = _fit_doc(shape_from_info(info), n_ctx, detect())
    if args.json:
        emit_json(doc)
        return 0
    for key, value in doc.items():
        if key == "fit":
            print(f"{'fit':18} {value['verdict']} on {value['device']}: {value['reason']}")
        else:
            print(f"{key:18} {value}")
    return 0


def _verify(hearth: Hearth, args: argparse.Namespace) -> int:
    registry = hearth.models
    before = registry.get(args.name).sha256
    ok, actual = registry.verify(args.name, progress_printer("Hashing"))
    if args.json:
        emit_json({"name": args.name, "ok": ok, "sha256": actual, "expected": before or actual})
    if not ok:
        raise ModelError(
            f"{args.name} does not match its recorded SHA-256: the file changed or is damaged.",
            hint="Download or copy it again; 'hearth models remove' forgets it.",
        )
    if not args.json:
        first = "" if before else " (recorded now: it had no hash yet)"
        note(f"{args.name}: SHA-256 {actual} matches{first}.")
    return 0


def _remove(hearth: Hearth, args: argparse.Namespace) -> int:
    hearth.models.remove(args.name)
    note(f"Removed {args.name} from Hearth (the file itself was left in place).")
    return 0


def _catalog(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.catalog.catalog import load_catalog
    from app.catalog.fit import context_for
    from app.catalog.hardware import detect

    hw = detect()
    rows = []
    for entry in load_catalog(user_file=hearth.paths.config_dir / "catalog.toml").values():
        n_ctx = context_for(hearth.settings.model.n_ctx, entry.context_length)
        rows.append(vars(entry) | {"fit": _fit_doc(entry.shape(), n_ctx, hw)})
    if args.json:
        emit_json({"catalog": rows})
        return 0
    for row in rows:
        print(
            f"{row['name']}  {row['title']}  {row['quantization']}  "
            f"{human_size(row['size_bytes'])}  {row['license']}  — {row['fit']['verdict']} "
            f"({row['fit']['device']})"
        )
    return 0


def _download(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.catalog.catalog import catalog_entry

    entry = catalog_entry(args.name, hearth.paths.config_dir / "catalog.toml")
    note(f"Downloading {entry.title} ({human_size(entry.size_bytes)}) from {entry.url}")
    try:
        registered = hearth.download_model(
            args.name, progress_printer("Downloading"), threading.Event()
        )
    except KeyboardInterrupt:
        note("Download interrupted; run the same command to resume.")
        raise
    if args.json:
        emit_json(registered.to_json())
    else:
        note(f"Verified (SHA-256) and registered as {registered.name}.")
    return 0


def _gpu(hearth: Hearth, args: argparse.Namespace) -> int:
    value = None if args.value == "default" else args.value.lower()
    entry = hearth.models.set_gpu_layers(args.name, value)
    note(f"{entry.name}: GPU layers {entry.gpu_layers or 'from settings (model.gpu_layers)'}.")
    return 0
