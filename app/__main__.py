"""Entry point: no arguments opens the desktop app, subcommands run the CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from app.ui.launch import launch

        return launch()
    from app.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
