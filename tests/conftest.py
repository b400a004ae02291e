"""Shared fixtures: every test gets its own HEARTH_HOME; the real model is built once."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from app.privacy.redactor import Redactor

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/ui/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def hearth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, temporary profile: tests never touch the real one."""
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _fail_on_warning_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """An unexpected WARNING (or worse) from Hearth's loggers fails the test."""
    caplog.set_level(logging.INFO, logger="hearth")
    yield
    bad = [
        r
        for r in caplog.get_records("call")
        if r.name.startswith("hearth") and r.levelno >= logging.WARNING
    ]
    if bad:
        pytest.fail("unexpected warning logs: " + "; ".join(r.getMessage() for r in bad))


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded default model, rebuilt and verified once per test run."""
    from app.catalog.default_model import prepare_default_model

    store = tmp_path_factory.mktemp("model-store")
    prepare_default_model(store)
    return store


@pytest.fixture
def prepared_home(hearth_home: Path, model_store: Path) -> Path:
    """A profile whose models folder already holds the verified default model."""
    models = hearth_home / "models"
    models.mkdir(parents=True, exist_ok=True)
    for item in model_store.iterdir():
        try:
            os.link(item, models / item.name)
        except OSError:
            shutil.copy2(item, models / item.name)
    return hearth_home


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """The real Presidio redactor with default settings, loaded once per run."""
    from app.privacy.redactor import Redactor

    r = Redactor()
    r.load()
    return r
