"""The command-line face of Hearth (contract: shared CLI.md).

Exit status: 0 done, 1 a user-facing error (one or two lines on stderr),
2 wrong usage, 3 refused by policy or for lack of consent.  ``--json``
prints exactly one JSON document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from app.errors import HearthError, UsageError

log = logging.getLogger("hearth.cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"hearth: {message}\n")


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=None) + "\n")
    sys.stdout.flush()


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress_printer(label: str) -> Callable[[int, int], None]:
    """Progress on stderr in 10 % steps."""
    last = [-1]

    def show(done: int, total: int) -> None:
        pct = int(done * 100 / total) if total else 100
        if pct != last[0] and pct % 10 == 0:
            last[0] = pct
            note(f"{label}: {pct}%")

    return show


def human_size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def read_text_arg(value: str | None, what: str = "text") -> str:
    """A text argument, or stdin when it is '-' (or absent with piped input)."""
    if value == "-" or (value is None and not sys.stdin.isatty()):
        return sys.stdin.read()
    if value is None:
        raise UsageError(f"Give the {what} as an argument, or '-' to read it from stdin.")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hearth", description="Hearth: a private AI assistant on your computer.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    chat = sub.add_parser("chat", help="send one message and stream the reply")
    chat.add_argument("text", nargs="?", help="the message, or '-' to read stdin")
    where = chat.add_mutually_exclusive_group()
    where.add_argument("--conversation", metavar="ID", help="continue a conversation")
    where.add_argument("--new", action="store_true", help="start a new conversation (default)")
    chat.add_argument("--model", metavar="NAME", help="a registered model (default: settings)")
    chat.add_argument("--engine", choices=["local", "ollama", "server"], default="local")
    chat.add_argument("--cloud", metavar="PROVIDER:MODEL", help="send this message to a cloud API")
    chat.add_argument("--context", action="store_true", help="with --cloud: send earlier turns")
    chat.add_argument("--yes", action="store_true", help="with --cloud: consent for this call")
    chat.add_argument("--json", action="store_true", help="print one JSON document")

    history = sub.add_parser("history", help="list, show, search, export or delete chats")
    hsub = history.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    hl = hsub.add_parser("list", help="conversations, most recent first")
    hl.add_argument("--json", action="store_true")
    hs = hsub.add_parser("show", help="one conversation's messages")
    hs.add_argument("id")
    hs.add_argument("--json", action="store_true")
    hq = hsub.add_parser("search", help="full-text search over all messages")
    hq.add_argument("query")
    hq.add_argument("--json", action="store_true")
    he = hsub.add_parser("export", help="print a conversation as Markdown or JSON")
    he.add_argument("id")
    he.add_argument("--format", choices=["md", "json"], default="md")
    hd = hsub.add_parser("delete", help="delete a conversation")
    hd.add_argument("id")
    hd.add_argument("--json", action="store_true")
    hg = hsub.add_parser(
        "engine", help="a chat's default engine: local, or PROVIDER:MODEL (consent still asked)"
    )
    hg.add_argument("id")
    hg.add_argument("engine", help="local or PROVIDER:MODEL, e.g. openai:gpt-4.1-mini")

    models = sub.add_parser("models", help="the local GGUF models")
    msub = models.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    ml = msub.add_parser("list", help="registered models")
    ml.add_argument("--json", action="store_true")
    ma = msub.add_parser("add", help="validate and register a local GGUF file")
    ma.add_argument("path")
    ma.add_argument("--name", help="name to register it under (default: from the file name)")
    ma.add_argument("--json", action="store_true")
    mi = msub.add_parser("info", help="what a model file holds")
    mi.add_argument("name")
    mi.add_argument("--json", action="store_true")
    mr = msub.add_parser("remove", help="forget a model (the file is left in place)")
    mr.add_argument("name")
    mv = msub.add_parser("verify", help="recompute a model file's SHA-256 and compare")
    mv.add_argument("name")
    mv.add_argument("--json", action="store_true")
    md = msub.add_parser("download", help="fetch a catalog model (resumable, SHA-256 checked)")
    md.add_argument("name", help="a name from 'hearth models catalog'")
    md.add_argument("--json", action="store_true")
    mc = msub.add_parser("catalog", help="curated models you can download, with the fit here")
    mc.add_argument("--json", action="store_true")
    mg = msub.add_parser("gpu", help="GPU layers for one model: auto, all, off, N or default")
    mg.add_argument("name")
    mg.add_argument("value")

    redact = sub.add_parser("redact", help="show text as it would be sent to a cloud provider")
    redact.add_argument("text", nargs="?", help="the text, or '-' to read stdin")
    redact.add_argument("--json", action="store_true", help="print one JSON document")
    redact.add_argument(
        "--jsonl",
        action="store_true",
        help='batch: read {"text": ...} lines on stdin, write one result per line',
    )

    keys = sub.add_parser("keys", help="cloud API keys, kept in the OS keyring")
    ksub = keys.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    ks = ksub.add_parser("set", help="store a key (read from stdin, or a hidden prompt)")
    ks.add_argument("provider")
    kl = ksub.add_parser("list", help="providers with a key (last 4 characters only)")
    kl.add_argument("--json", action="store_true")
    kd = ksub.add_parser("delete", help="remove a provider's key")
    kd.add_argument("provider")

    cost = sub.add_parser("cost", help="usage and spend")
    cost.add_argument("--json", action="store_true")

    be = sub.add_parser("breakeven", help="self-hosting versus a cloud API: when does it pay?")
    be.add_argument("--hardware-cost", type=float, required=True, metavar="USD")
    be.add_argument("--months", type=float, default=36, help="amortization (default 36)")
    power = be.add_mutually_exclusive_group()
    power.add_argument("--watts", type=float, metavar="W")
    power.add_argument("--electricity-per-month", type=float, metavar="USD")
    be.add_argument("--hours-per-day", type=float, default=24)
    be.add_argument("--kwh-price", type=float, default=0.16, metavar="USD")
    speed = be.add_mutually_exclusive_group()
    speed.add_argument(
        "--tokens-per-second", type=float, metavar="T", help="default: measured by 'hearth bench'"
    )
    speed.add_argument("--capacity-tokens-per-day", type=float, metavar="N")
    be.add_argument(
        "--tokens-per-day",
        type=float,
        metavar="N",
        help="your daily volume (default: your average over 30 days)",
    )
    be.add_argument("--cloud-model", required=True, metavar="NAME")
    be.add_argument("--input-share", type=float, default=0.5)
    be.add_argument(
        "--privacy-required", action="store_true", help="the data must stay local whatever the cost"
    )
    be.add_argument("--json", action="store_true")

    settings = sub.add_parser("settings", help="read and change settings")
    ssub = settings.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    sg = ssub.add_parser("get")
    sg.add_argument("key")
    ss = ssub.add_parser("set")
    ss.add_argument("key")
    ss.add_argument("value")
    sl = ssub.add_parser("list")
    sl.add_argument("--json", action="store_true")

    doctor = sub.add_parser("doctor", help="check this installation")
    doctor.add_argument("--json", action="store_true")

    audit = sub.add_parser("audit", help="every request that left this computer")
    audit.add_argument("--json", action="store_true")

    bench = sub.add_parser("bench", help="measure performance on this machine")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--tokens", type=int, default=128, help="tokens per decode run")
    bench.add_argument("--skip-gui", action="store_true", help="leave out the GUI measurements")
    return parser


def run(argv: Sequence[str]) -> int:
    """Run one CLI command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from app import commands
    from app.core import Hearth, setup_logging

    hearth: Hearth | None = None
    try:
        hearth = Hearth()
        setup_logging(hearth.paths)
        from app.privacy.network import enforce

        enforce(hearth.settings.network.mode, set(hearth.settings.network.trusted_hosts))
        handler = getattr(commands, f"cmd_{args.command}")
        return int(handler(hearth, args) or 0)
    except HearthError as exc:
        note(f"hearth: {exc.user_text()}")
        return exc.exit_code
    except KeyboardInterrupt:
        note("hearth: interrupted.")
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # a bug: log the traceback, show the user one line
        log.exception("internal error in 'hearth %s'", args.command)
        where = hearth.paths.logs_dir / "hearth.log" if hearth else Path("hearth.log")
        note(f"hearth: internal error; the details are in {where}.")
        return 1
    finally:
        if hearth is not None:
            hearth.close()
