"""The model manager: models on this computer, the curated catalog, and Ollama's.

Everything slow — reading GGUF headers, hashing, hardware probing, downloads,
Ollama — runs in the background; the page only shows results.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import Hearth
from app.ui.background import run_in_background

GPU_CHOICES = ["default", "auto", "all", "off"]
GIB = 1024**3  # sizes as the fit estimate counts them


@dataclass
class _Overview:
    hardware: Any
    local: list[tuple[Any, dict[str, Any] | None]]  # (ModelEntry, fit doc)
    catalog: list[tuple[Any, dict[str, Any]]]  # (CatalogEntry, fit doc)
    ollama: dict[str, Any] | None


def overview(hearth: Hearth) -> _Overview:
    """Collect what the page shows (runs in the background)."""
    from app.catalog.catalog import load_catalog
    from app.catalog.fit import context_for, fit, shape_from_info
    from app.catalog.gguf_info import inspect_gguf
    from app.catalog.hardware import detect
    from app.errors import HearthError

    hw = detect()
    n_ctx = hearth.settings.model.n_ctx
    local: list[tuple[Any, dict[str, Any] | None]] = []
    for entry in hearth.models.list():
        try:
            info = inspect_gguf(entry.path)
            doc = fit(shape_from_info(info), context_for(n_ctx, info.context_length), hw).to_json()
        except HearthError as exc:
            doc = {"verdict": "unreadable", "device": "", "reason": exc.message}
        local.append((entry, doc))
    catalog = []
    for c in load_catalog(user_file=hearth.paths.config_dir / "catalog.toml").values():
        catalog.append((c, fit(c.shape(), context_for(n_ctx, c.context_length), hw).to_json()))
    ollama = None
    if hearth.settings.engines.ollama.enabled:
        ollama = hearth.ollama_status()
    return _Overview(hw, local, catalog, ollama)


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    """Replace the table's rows with ``rows`` (one text per column), columns fitted."""
    table.setRowCount(0)
    for r, cells in enumerate(rows):
        table.insertRow(r)
        for c, text in enumerate(cells):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


class ModelsDialog(QDialog):
    def __init__(self, hearth: Hearth, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setWindowTitle("Models")
        self.resize(980, 560)
        self.hearth = hearth
        self.loading = False
        self.working = False  # hashing, adding or downloading
        self.cancel_download = threading.Event()
        layout = QVBoxLayout(self)
        self.hardware = QLabel("Checking this computer…")
        self.hardware.setWordWrap(True)
        self.hardware.setAccessibleName("This computer")
        layout.addWidget(self.hardware)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_local()
        self._build_catalog()
        self._build_ollama()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Model manager status")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Model manager progress")
        self.progress.hide()
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        self.refresh()

    # -- construction ---------------------------------------------------------------
    def _build_local(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        self.local = _table(
            ["Name", "Architecture", "Quant", "Size", "Context", "Template", "Fit", "GPU layers",
             "SHA-256"],
            "Models on this computer",
        )  # fmt: skip
        box.addWidget(self.local, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add GGUF…")
        self.add_button.clicked.connect(self.add_file)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setAccessibleName("Verify the selected model's SHA-256")
        self.verify_button.clicked.connect(self.verify_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the selected model from Hearth")
        self.remove_button.clicked.connect(self.remove_selected)
        self.gpu_choice = QComboBox()
        self.gpu_choice.addItems(GPU_CHOICES)
        self.gpu_choice.setAccessibleName("GPU layers for the selected model")
        self.gpu_choice.setToolTip("default follows Settings (model.gpu_layers)")
        self.gpu_choice.activated.connect(self._gpu_picked)
        for widget in (self.add_button, self.verify_button, self.remove_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(QLabel("GPU layers:"))
        row.addWidget(self.gpu_choice)
        box.addLayout(row)
        self.tabs.addTab(page, "On this computer")

    def _build_catalog(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        self.catalog = _table(
            ["Name", "Model", "Quant", "Size", "License", "Fit here", "Why"], "Model catalog"
        )
        box.addWidget(self.catalog, 1)
        row = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.setAccessibleName("Download the selected catalog model")
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self.cancel_download.set)
        self.cancel_button.setEnabled(False)
        row.addWidget(self.download_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        box.addLayout(row)
        self.tabs.addTab(page, "Download")

    def _build_ollama(self) -> None:
        page = QWidget()
        box = QVBoxLayout(page)
        self.ollama_status = QLabel("")
        self.ollama_status.setWordWrap(True)
        self.ollama_status.setAccessibleName("Ollama status")
        self.ollama = _table(["Ollama model"], "Ollama models")
        box.addWidget(self.ollama_status)
        box.addWidget(self.ollama, 1)
        self.tabs.addTab(page, "Ollama")

    # -- hooks tests can replace ----------------------------------------------------------
    def ask_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a GGUF model", "", "GGUF (*.gguf)")
        return path or None

    # -- loading ----------------------------------------------------------------------
    def refresh(self) -> None:
        self.loading = True
        hearth = self.hearth
        run_in_background(lambda _p: overview(hearth), self._show, self._failed)

    def _show(self, data: _Overview) -> None:
        self.loading = False
        hw = data.hardware
        gpus = ", ".join(f"{g.name} ({g.vram_total / GIB:.0f} GB)" for g in hw.gpus) or "none"
        offload = "can offload to it" if hw.offload_gpu else "runs on the CPU"
        self.hardware.setText(
            f"This computer: {hw.ram_total / GIB:.1f} GB RAM ({hw.ram_available / GIB:.1f} GB "
            f"free) · GPU: {gpus} · llama.cpp build: {', '.join(hw.build_backends)} "
            f"({offload})"
        )
        local_rows = [
            [
                entry.name,
                entry.architecture,
                entry.quantization or "?",
                f"{entry.size_bytes / GIB:.2f} GB",
                f"{entry.context_length or '?'}",
                "yes" if entry.has_chat_template else "no (transcript)",
                f"{fit['verdict']} ({fit['device']})" if fit else "",
                entry.gpu_layers or "default",
                (entry.sha256 or "not computed")[:16],
            ]
            for entry, fit in data.local
        ]
        _fill(self.local, local_rows)
        for r, (_entry, fit) in enumerate(data.local):
            fit_cell = self.local.item(r, 6)
            if fit and fit_cell is not None:
                fit_cell.setToolTip(fit["reason"])
        catalog_rows = [
            [
                c_entry.name,
                c_entry.title,
                c_entry.quantization,
                f"{c_entry.size_bytes / GIB:.2f} GB",
                c_entry.license,
                f"{fit['verdict']} ({fit['device']})",
                fit["reason"],
            ]
            for c_entry, fit in data.catalog
        ]
        _fill(self.catalog, catalog_rows)
        if data.ollama is None:
            self.ollama_status.setText(
                "Ollama is not used. Turn it on in Tools → Settings → Your servers, or with "
                "'hearth settings set engines.ollama.enabled true'."
            )
            _fill(self.ollama, [])
        else:
            self.ollama_status.setText(
                f"Ollama at {data.ollama['base_url']}: {data.ollama['status']}"
            )
            _fill(self.ollama, [[name] for name in data.ollama["models"]])

    def _failed(self, message: str) -> None:
        self.loading = False
        self.working = False
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.status.setText(message)

    def _selected(self, table: QTableWidget) -> str | None:
        row = table.currentRow()
        item = table.item(row, 0) if row >= 0 else None
        return item.text() if item else None

    def _progress(self, done: int, total: int) -> None:
        self.progress.show()
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(done * 1000 / total) if total else 0)

    def _start(self, text: str) -> None:
        self.working = True
        self.status.setText(text)
        self.progress.setValue(0)
        self.progress.show()

    def _done(self, text: str) -> None:
        self.working = False
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.status.setText(text)
        self.refresh()

    # -- actions ------------------------------------------------------------------------
    def add_file(self) -> None:
        chosen = self.ask_file()
        if not chosen or self.working:
            return
        registry = self.hearth.models

        def add(progress: Any) -> str:
            return registry.import_file(Path(chosen), progress=progress).name

        self._start(f"Adding {Path(chosen).name} (checking it and computing its SHA-256)…")
        run_in_background(add, lambda name: self._done(f"Added {name}."), self._failed,
                          self._progress)  # fmt: skip

    def verify_selected(self) -> None:
        name = self._selected(self.local)
        if name is None or self.working:
            return
        registry = self.hearth.models

        def verify(progress: Any) -> tuple[bool, str]:
            return registry.verify(name, progress)

        def done(result: tuple[bool, str]) -> None:
            ok, digest = result
            self._done(
                f"{name}: SHA-256 matches ({digest[:16]}…)."
                if ok
                else f"{name} does NOT match its recorded SHA-256: the file changed or is damaged."
            )

        self._start(f"Hashing {name}…")
        run_in_background(verify, done, self._failed, self._progress)

    def remove_selected(self) -> None:
        name = self._selected(self.local)
        if name is None or self.working:
            return
        registry = self.hearth.models
        run_in_background(
            lambda _p: registry.remove(name),
            lambda _r: self._done(f"Removed {name} (the file was left in place)."),
            self._failed,
        )

    def _gpu_picked(self, _index: int) -> None:
        name = self._selected(self.local)
        if name is None:
            return
        choice = self.gpu_choice.currentText()
        registry = self.hearth.models
        value = None if choice == "default" else choice
        run_in_background(
            lambda _p: registry.set_gpu_layers(name, value),
            lambda _r: self._done(f"{name}: GPU layers {choice} (used on its next load)."),
            self._failed,
        )

    def download_selected(self) -> None:
        name = self._selected(self.catalog)
        if name is None or self.working:
            return
        hearth = self.hearth
        self.cancel_download.clear()
        cancel = self.cancel_download

        def fetch(progress: Any) -> str:
            return hearth.download_model(name, _throttled(progress), cancel).name

        self._start(f"Downloading {name}…")
        self.cancel_button.setEnabled(True)
        run_in_background(
            fetch,
            lambda n: self._done(f"Downloaded, verified (SHA-256) and registered {n}."),
            self._failed,
            self._progress,
        )


def _throttled(progress: Any) -> Any:
    """Report at most every 0.2 % so a multi-GB download does not flood the GUI thread."""
    last = [-1]

    def report(done: int, total: int) -> None:
        step = int(done * 500 / total) if total else 0
        if step != last[0] or done == total:
            last[0] = step
            progress(done, total)

    return report
