"""The CLI's commands: each takes the :class:`~app.core.Hearth` context and parsed args."""

from __future__ import annotations

import argparse
import platform
import sys
from typing import Any

from app.catalog.default_model import DEFAULT_MODEL_NAME
from app.chat.session import TextDelta, TurnFinished, TurnStarted
from app.cli import emit_json, note, progress_printer, read_text_arg
from app.core import Hearth
from app.errors import EngineError, UsageError
from app.model_commands import cmd_models  # noqa: F401 (the CLI finds commands here)


def _chat_engine(hearth: Hearth, args: argparse.Namespace) -> Any:
    if args.engine == "server":
        from app.engines.server_engine import open_server_engine

        return open_server_engine(
            hearth.settings, args.model, secrets=hearth.secrets, on_request=hearth.lan_audit_tap()
        )
    if args.engine == "ollama":
        return hearth.ollama_engine(args.model or "")
    registry = hearth.models
    wanted = args.model or registry.default_name
    if wanted == DEFAULT_MODEL_NAME and not registry.default_prepared():
        note("Preparing the embedded default model (first run)…")
        registry.ensure_default(progress_printer("Preparing model"))
    return hearth.load_engine(registry.resolve(args.model), warn=note)


def describe_plan(plan: Any) -> str:
    """The consent text for a cloud plan: destination, payload, redactions, cost."""
    lines = [
        f"This message would go to {plan.provider.label} at {plan.provider.host}, "
        f"model {plan.model}.",
        "Exactly this would be sent (after redaction):",
    ]
    for m in plan.messages:
        lines.append(f"  [{m.role}] " + m.content.replace("\n", "\n    "))
    if plan.counts:
        kinds = ", ".join(f"{t} {n}" for t, n in sorted(plan.counts.items()))
        lines.append(f"Redacted: {kinds} (the originals stay on this computer).")
    else:
        lines.append("Nothing was found to redact.")
    cost = plan.estimated_cost
    if cost is None:
        lines.append(f"Estimated cost: price unknown for {plan.model}.")
    else:
        lines.append(
            f"Estimated cost: up to ${cost:.4f} (about {plan.prompt_tokens:,} prompt tokens "
            f"+ at most {plan.max_output_tokens:,} reply tokens)."
        )
    if not plan.include_context:
        lines.append("Earlier turns are not included (add --context to include them).")
    return "\n".join(lines)


def _ask_consent(plan: Any, args: argparse.Namespace) -> None:
    from app.errors import PolicyError

    note(describe_plan(plan))
    if args.yes:
        note("Sending: you consented with --yes for this message.")
        return
    if not (sys.stdin.isatty() and args.text != "-"):
        raise PolicyError(
            "Nothing was sent: consent is needed for each cloud message and there is no "
            "terminal to ask on.",
            hint="Run it in a terminal to answer y/N, or add --yes to consent for this message.",
        )
    sys.stderr.write("Send this one message? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise PolicyError("Nothing was sent: you did not consent.")


def cmd_chat(hearth: Hearth, args: argparse.Namespace) -> int:
    text = read_text_arg(args.text, "message")
    if not text.strip():
        raise UsageError("Type a message first: an empty message is not sent.")
    conversation_id: str | None = None
    if args.conversation:
        conversation_id = hearth.history.resolve_conversation(args.conversation)
        if not args.cloud and args.engine == "local":
            from app.chat.routing import conversation_target

            default = hearth.history.get_conversation(conversation_id).default_engine
            args.cloud = conversation_target(default)
            if args.cloud:
                note(f"This chat's default engine is {args.cloud} (cloud): consent is needed.")
    if (args.context or args.yes) and not args.cloud:
        raise UsageError("--context and --yes only apply with --cloud PROVIDER:MODEL.")
    plan: Any = None
    if args.cloud:
        from app.chat.cloud import consent_to

        cloud = hearth.cloud()
        plan = cloud.plan(conversation_id, text, args.cloud, include_context=args.context)
        cloud.check(plan)
        cloud.require_key(plan)  # no question the user cannot act on: the key comes first
        _ask_consent(plan, args)
        events = cloud.send(plan, consent_to(plan))
        engine: Any = None
    else:
        conversation_id = conversation_id or hearth.history.create_conversation().id
        engine = _chat_engine(hearth, args)
        from app.chat.routing import LOCAL_DEFAULT

        events = hearth.chat_service(engine).send(conversation_id, text, route=LOCAL_DEFAULT)
    finished: TurnFinished | None = None
    try:
        for event in events:
            if isinstance(event, TurnStarted) and event.dropped_messages:
                note(
                    f"Note: {event.dropped_messages} older message(s) were left out of the "
                    "prompt to fit the model's context window."
                )
            elif isinstance(event, TextDelta) and not args.json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, TurnFinished):
                finished = event
    finally:
        if engine is not None:
            engine.close()
    if finished is None:
        raise EngineError("The model stopped without finishing its reply.")
    msg = finished.message
    conversation_id = msg.conversation_id
    cloud_doc = None
    if plan is not None:
        cloud_doc = {
            "provider": plan.provider.name,
            "host": msg.host,
            "redacted": plan.counts,
            "cost_usd": msg.cost_usd,
        }
    if args.json:
        emit_json(
            {
                "conversation_id": conversation_id,
                "message_id": msg.id,
                "engine": msg.engine,
                "model": msg.model,
                "reply": msg.content,
                "complete": msg.complete,
                "usage": {
                    "prompt_tokens": msg.prompt_tokens or 0,
                    "completion_tokens": msg.completion_tokens or 0,
                },
                "timings": {"ttft_s": msg.ttft_s or 0.0, "tokens_per_s": msg.tokens_per_s or 0.0},
                "cloud": cloud_doc,
            }
        )
    else:
        sys.stdout.write("\n")
        where = f"{msg.model} via {msg.host}" if msg.host else str(msg.model)
        cost = ""
        if plan is not None:
            cost = " · price unknown" if msg.cost_usd is None else f" · ${msg.cost_usd:.4f}"
        note(
            f"[{where} · conversation {conversation_id[:8]} · "
            f"{msg.completion_tokens or 0} tokens · {msg.tokens_per_s or 0:.1f} tok/s{cost}]"
        )
    return 0


def cmd_audit(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.storage.audit import EgressLog

    rows = EgressLog(hearth.history).rows()
    if args.json:
        emit_json({"requests": [r.to_json() for r in rows]})
        return 0
    if not rows:
        print("No request has left this computer.")
    for r in rows:
        cost = "price unknown" if r.cost_usd is None else f"${r.cost_usd:.4f}"
        kinds = ", ".join(f"{t} {n}" for t, n in sorted(r.redacted.items())) or "nothing"
        print(
            f"{r.at:%Y-%m-%d %H:%M:%S}  {r.provider}  {r.host}  {r.model}  {r.bytes_sent} B  "
            f"sha256 {r.payload_sha256[:12]}…  redacted: {kinds}  {cost}  {r.outcome}"
        )
    return 0


def cmd_history(hearth: Hearth, args: argparse.Namespace) -> int:
    history = hearth.history
    if args.action == "list":
        convs = history.list_conversations()
        if args.json:
            emit_json({"conversations": [c.to_json() for c in convs]})
        for c in convs if not args.json else []:
            print(f"{c.id[:8]}  {c.updated_at:%Y-%m-%d %H:%M}  {c.message_count:>3} msg  {c.title}")
        return 0
    if args.action == "search":
        hits = history.search(args.query)
        if args.json:
            emit_json({"query": args.query, "results": [vars(h) for h in hits]})
        for h in hits if not args.json else []:
            print(f"{h.conversation_id[:8]}  {h.conversation_title}: {' '.join(h.snippet.split())}")
        return 0
    conversation_id = history.resolve_conversation(args.id)
    if args.action == "show":
        conv = history.get_conversation(conversation_id)
        messages = history.messages(conversation_id)
        if args.json:
            emit_json(conv.to_json() | {"messages": [m.to_json() for m in messages]})
            return 0
        print(f"# {conv.title}  ({conv.id})")
        for m in messages:
            flag = "" if m.complete else "  [incomplete]"
            print(f"\n[{m.role}]{flag}\n{m.content}")
        return 0
    if args.action == "export":
        print(history.export(conversation_id, args.format))
        return 0
    if args.action == "engine":
        value = args.engine.strip()
        if value != "local":
            from app.chat.cloud import parse_target

            parse_target(value, hearth.settings)  # a known provider and a model
            value = f"cloud:{value}"
        history.set_default_engine(conversation_id, value)
        note(f"New messages in {conversation_id[:8]} go to {args.engine}.")
        return 0
    if args.action == "delete":
        history.delete_conversation(conversation_id)
        if args.json:
            emit_json({"deleted": conversation_id})
        else:
            note(f"Deleted conversation {conversation_id}.")
        return 0
    raise UsageError(f"Unknown history action {args.action!r}.")


def cmd_settings(hearth: Hearth, args: argparse.Namespace) -> int:
    settings = hearth.settings
    if args.action == "get":
        print(settings.get(args.key))
    elif args.action == "set":
        settings.set(args.key, args.value)
        hearth.save_settings()
        note(f"{args.key} = {settings.get(args.key)}")
    else:
        values = {key: settings.get(key) for key in settings.setting_keys()}
        if args.json:
            emit_json(values)
        else:
            for key, value in values.items():
                print(f"{key} = {value}")
    return 0


def doctor_report(hearth: Hearth) -> dict[str, Any]:
    import psutil

    report: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_cores_physical": psutil.cpu_count(logical=False),
        "cpu_cores_logical": psutil.cpu_count(),
        "ram_total_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "ram_available_gb": round(psutil.virtual_memory().available / 1e9, 1),
        "paths": {
            "config": str(hearth.paths.config_dir),
            "data": str(hearth.paths.data_dir),
            "models": str(hearth.paths.models_dir),
            "logs": str(hearth.paths.logs_dir),
        },
        "network_mode": hearth.settings.network.mode,
    }
    try:
        from app.engines.llamacpp import build_info

        info = build_info()
        flags = info.get("system_info", "")
        report["llama_cpp"] = {
            "version": info["llama_cpp_python"],
            "gpu_offload": info.get("gpu_offload", False),
            "cuda": "CUDA" in flags,
            "metal": "METAL" in flags.upper(),
            "system_info": flags,
        }
        from app.catalog.hardware import detect

        hw = detect()
        report["hardware"] = {
            "gpus": [
                {"name": g.name, "backend": g.backend, "vram_gb": round(g.vram_total / 1e9, 1)}
                for g in hw.gpus
            ],
            "build_backends": hw.build_backends,
            "offload_gpu": hw.offload_gpu.name if hw.offload_gpu else None,
            "apple_silicon": hw.apple_silicon,
            "gpu_layers_setting": hearth.settings.model.gpu_layers,
        }
    except ImportError as exc:
        report["llama_cpp"] = {"error": f"not installed ({exc})"}
    registry = hearth.models
    report["default_model"] = {
        "name": registry.default_name,
        "prepared": registry.default_prepared(),
    }
    report["models_registered"] = len(registry.list())
    from app.secrets import SecretStore

    usable, backend = SecretStore().status()
    report["keyring"] = {"usable": usable, "backend": backend}
    import importlib.util

    from app.privacy.redactor import SPACY_PACKAGE

    have = {
        name: importlib.util.find_spec(name) is not None
        for name in ("presidio_analyzer", SPACY_PACKAGE)
    }
    report["presidio"] = {
        "installed": all(have.values()),
        "spacy_model": SPACY_PACKAGE if have[SPACY_PACKAGE] else None,
        "entities": hearth.settings.privacy.entities,
    }
    if hearth.settings.engines.ollama.enabled:
        report["ollama"] = hearth.ollama_status()
    return report


def cmd_doctor(hearth: Hearth, args: argparse.Namespace) -> int:
    report = doctor_report(hearth)
    if args.json:
        emit_json(report)
        return 0
    for key, value in report.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k:16} {v}")
        else:
            print(f"{key:20} {value}")
    return 0


def cmd_bench(hearth: Hearth, args: argparse.Namespace) -> int:
    import json

    from app.bench import run_bench

    results = run_bench(hearth, tokens=args.tokens, gui=not args.skip_gui, log=note)
    hearth.bench_file.write_text(json.dumps(results, indent=2))
    if args.json:
        emit_json(results)
    else:
        for key, value in results.items():
            print(f"{key:36} {value}")
    return 0


def _redaction_doc(redactor: Any, text: str) -> dict[str, Any]:
    result = redactor.redact(text)
    return {"redacted": result.redacted, "entities": [e.to_json() for e in result.entities]}


def cmd_redact(hearth: Hearth, args: argparse.Namespace) -> int:
    import json

    from app.privacy.redactor import Redactor

    redactor = Redactor(hearth.settings.privacy)
    if args.jsonl:
        if args.text not in (None, "-"):
            raise UsageError("--jsonl reads JSON Lines from stdin; give no text argument.")
        redactor.load()
        failures = 0
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = item["text"] if isinstance(item, dict) else None
                if not isinstance(text, str):
                    raise ValueError("no string field 'text'")
            except (ValueError, KeyError) as exc:
                failures += 1
                note(f'hearth: line {number}: not a {{"text": ...}} object ({exc}).')
                doc: dict[str, Any] = {"error": f"line {number}: invalid input"}
            else:
                doc = _redaction_doc(redactor, text)
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return 1 if failures else 0
    text = read_text_arg(args.text, "text")
    doc = _redaction_doc(redactor, text)
    if args.json:
        emit_json(doc)
    else:
        sys.stdout.write(doc["redacted"] + ("" if doc["redacted"].endswith("\n") else "\n"))
    return 0


def cmd_breakeven(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.costs.breakeven import BreakevenInputs, compute
    from app.costs.pricing import load_prices

    table = load_prices(hearth.paths.config_dir / "pricing.toml")
    for problem in table.problems:
        note(f"hearth: {problem}")
    price = table.require(args.cloud_model)
    rate = args.tokens_per_second
    if rate is None and args.capacity_tokens_per_day is None:
        measured = hearth.measured_tokens_per_second()
        if measured is not None:
            rate, source = measured
            note(f"Using this machine's measured {rate:.1f} tokens/s ({source}).")
    volume = args.tokens_per_day
    if volume is None:
        volume = hearth.history.average_tokens_per_day(30)
        if volume:
            note(f"Using your average of {volume:,.0f} tokens/day over the last 30 days.")
    if args.watts is None and args.electricity_per_month is None:
        raise UsageError("Give --watts (power draw) or --electricity-per-month.")
    result = compute(
        BreakevenInputs(
            hardware_cost=args.hardware_cost,
            tokens_per_day=volume or 0.0,
            price=price,
            months=args.months,
            watts=args.watts,
            hours_per_day=args.hours_per_day,
            kwh_price=args.kwh_price,
            electricity_per_month=args.electricity_per_month,
            tokens_per_second=rate,
            capacity_tokens_per_day=args.capacity_tokens_per_day,
            input_share=args.input_share,
            privacy_required=args.privacy_required,
        )
    )
    for warning in result.warnings:
        note(f"Warning: {warning}")
    doc = result.to_json()
    if args.json:
        emit_json(doc)
        return 0
    for key, value in doc.items():
        if key != "reasons":
            print(f"{key:34} {value}")
    for reason in result.reasons:
        print(f"- {reason}")
    return 0


def cmd_cost(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.costs.pricing import load_prices
    from app.costs.usage import usage_report

    cfg = hearth.settings.costs
    table = load_prices(hearth.paths.config_dir / "pricing.toml")
    for problem in table.problems:
        note(f"hearth: {problem}")
    compare = table.get(cfg.compare_model)
    if compare is None:
        note(f"hearth: price unknown for {cfg.compare_model!r}; no cloud comparison.")
    report = usage_report(
        hearth.history, watts=cfg.device_watts, kwh_price=cfg.kwh_price, compare=compare
    )
    doc = report.to_json()
    if args.json:
        emit_json(doc)
        return 0
    totals = doc["totals"]
    print(
        f"Replies: {totals['replies']}  tokens: {totals['total_tokens']:,} "
        f"({totals['prompt_tokens']:,} prompt, {totals['completion_tokens']:,} completion)"
    )
    unpriced = doc["cloud_unpriced_replies"]
    print(
        f"Cloud spend: ${doc['cloud_spend_usd']:.4f} (this month ${doc['cloud_month_usd']:.4f})"
        + (f"; {unpriced} cloud replies with price unknown" if unpriced else "")
    )
    print(
        f"Local electricity (at {cfg.device_watts:g} W, ${cfg.kwh_price}/kWh): "
        f"${doc['local_energy_usd']:.6f}"
    )
    if doc["local_would_cost"]:
        would = doc["local_would_cost"]
        print(f"Your local tokens would have cost ${would['usd']:.4f} on {would['model']}.")
    else:
        print("Cloud comparison: price unknown.")
    for row in doc["months"]:
        print(f"  {row['month']}  {row['engine']:6} {row['model']:28} {row['total_tokens']:>10,}")
    return 0


def cmd_keys(hearth: Hearth, args: argparse.Namespace) -> int:
    from app.secrets import SecretStore

    store = SecretStore()
    if args.action == "set":
        if sys.stdin.isatty():
            import getpass

            key = getpass.getpass(f"API key for {args.provider} (input hidden): ")
        else:
            key = sys.stdin.readline()
        stored = store.set(args.provider, key)
        note(f"Stored the key for {stored.provider} ({stored.last4}) in the OS keyring.")
        return 0
    if args.action == "delete":
        store.delete(args.provider)
        note(f"Deleted the key for {args.provider}.")
        return 0
    keys = store.list()
    if args.json:
        emit_json({"keys": [{"provider": k.provider, "last4": k.last4} for k in keys]})
        return 0
    if not keys:
        note("No API keys stored. Add one with: hearth keys set PROVIDER")
    for k in keys:
        print(f"{k.provider:16} {k.last4}")
    return 0
