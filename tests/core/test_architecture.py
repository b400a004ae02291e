"""The core must import and work without Qt; import-linter enforces the boundary."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import REPO

CORE_MODULES = [
    "app.cli",
    "app.commands",
    "app.core",
    "app.config",
    "app.errors",
    "app.chat.session",
    "app.engines.base",
    "app.engines.llamacpp",
    "app.engines.prompt_format",
    "app.storage.history",
    "app.catalog.registry",
    "app.catalog.gguf_info",
    "app.ui.markdown",
]


def test_core_imports_without_loading_qt_or_llama() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE_MODULES!r}: __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'llama_cpp'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_core_runs_with_qt_blocked(tmp_path: object) -> None:
    """napari-style: the core works when PySide6 cannot be imported at all."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'): raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from app.cli import run\n"
        "raise SystemExit(run(['history', 'list', '--json']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"conversations": []' in out.stdout


def test_import_linter_contract_holds() -> None:
    exe = shutil.which("lint-imports") or str(REPO / ".venv" / "bin" / "lint-imports")
    out = subprocess.run([exe], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout
