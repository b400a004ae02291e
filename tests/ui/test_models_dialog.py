"""The model manager page: fit, add with hashing, verify, GPU layers, download with progress."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.config import Paths, load_settings, save_settings
from app.core import Hearth
from app.ui.models_dialog import ModelsDialog
from tests.ggufs import tiny_gguf
from tests.servers.files import file_server

TIMEOUT_MS = 60_000


@pytest.fixture
def page(qtbot: QtBot, hearth_home: Path) -> Iterator[ModelsDialog]:
    hearth = Hearth()
    dialog = ModelsDialog(hearth)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.loading, timeout=TIMEOUT_MS)
    yield dialog
    dialog.close()
    from app.ui.background import wait_for_background

    wait_for_background()
    hearth.close()


def rows(table: object) -> list[list[str]]:
    t = table  # QTableWidget
    return [
        [t.item(r, c).text() for c in range(t.columnCount())]  # type: ignore[attr-defined]
        for r in range(t.rowCount())  # type: ignore[attr-defined]
    ]


def test_hardware_catalog_fit_and_ollama_state_are_shown(page: ModelsDialog) -> None:
    assert "GB RAM" in page.hardware.text() and "llama.cpp build: CPU" in page.hardware.text()
    catalog = rows(page.catalog)
    names = [r[0] for r in catalog]
    assert "llama-3.2-3b-instruct-q4_k_m" in names
    assert all(r[5].split(" ")[0] in ("fits", "tight", "won't") for r in catalog)
    assert "not used" in page.ollama_status.text()


def test_add_verify_and_gpu_layers(qtbot: QtBot, page: ModelsDialog, tmp_path: Path) -> None:
    path = tiny_gguf(tmp_path / "mini-model.gguf")
    page.ask_file = lambda: str(path)  # type: ignore[method-assign]
    page.add_button.click()
    qtbot.waitUntil(lambda: not page.working and not page.loading and page.local.rowCount() == 1,
                    timeout=TIMEOUT_MS)  # fmt: skip
    (row,) = rows(page.local)
    assert row[0] == "mini-model" and row[1] == "llama" and row[6].startswith("fits")
    assert row[8] == hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    page.local.setCurrentCell(0, 0)
    page.verify_button.click()
    qtbot.waitUntil(lambda: "matches" in page.status.text(), timeout=TIMEOUT_MS)
    page.gpu_choice.setCurrentText("off")
    page.gpu_choice.activated.emit(page.gpu_choice.currentIndex())
    qtbot.waitUntil(lambda: rows(page.local) and rows(page.local)[0][7] == "off",
                    timeout=TIMEOUT_MS)  # fmt: skip
    assert page.hearth.models.get("mini-model").gpu_layers == "off"
    path.write_bytes(path.read_bytes() + b"x")  # damaged on disk
    qtbot.waitUntil(lambda: not page.working and not page.loading, timeout=TIMEOUT_MS)
    page.local.setCurrentCell(0, 0)
    page.verify_button.click()
    qtbot.waitUntil(lambda: "does NOT match" in page.status.text(), timeout=TIMEOUT_MS)


def test_download_with_progress_registers_the_model(
    qtbot: QtBot, page: ModelsDialog, hearth_home: Path, tmp_path: Path
) -> None:
    data = tiny_gguf(tmp_path / "src.gguf", tensor_values=400_000).read_bytes()
    with file_server(data) as server:
        (hearth_home / "config" / "catalog.toml").write_text(
            '[models."tiny-test"]\ntitle = "Tiny"\n'
            f'url = "{server.url()}"\nfilename = "tiny.gguf"\nsize_bytes = {len(data)}\n'
            f'sha256 = "{hashlib.sha256(data).hexdigest()}"\n'
        )
        paths = Paths.from_env()
        settings = load_settings(paths)
        # Offline first: refused with a message, nothing fetched.
        page.refresh()
        qtbot.waitUntil(lambda: not page.loading, timeout=TIMEOUT_MS)
        names = [r[0] for r in rows(page.catalog)]
        page.catalog.setCurrentCell(names.index("tiny-test"), 0)
        page.download_button.click()
        qtbot.waitUntil(lambda: "offline mode" in page.status.text(), timeout=TIMEOUT_MS)
        assert server.requests == []
        settings.set("network.mode", "lan")
        save_settings(paths, settings)
        page.hearth.settings.set("network.mode", "lan")
        page.download_button.click()
        qtbot.waitUntil(lambda: "registered tiny-test" in page.status.text(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not page.loading, timeout=TIMEOUT_MS)
    assert "tiny-test" in [r[0] for r in rows(page.local)]
