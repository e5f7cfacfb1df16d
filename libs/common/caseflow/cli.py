"""The `caseflow` command: services, the local stack, and the offline tools."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from importlib import import_module

# subcommand -> (module with add_arguments/run, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "replay": ("caseflow.replay.cli", "compute a period's indicators and scores from a file, Kafka or the archive"),
    "audit": ("caseflow.replay.audit_cli", "replay a month and compare every number with live scoring"),
    "close-month": ("caseflow.replay.close_cli", "freeze an audited month (hash, scheme and code versions)"),
    "report": ("caseflow.replay.report_cli", "write a month's workbook (xlsx) and charts (PNG, HTML)"),
    "forecast": ("caseflow.replay.forecast_cli", "which open cases will most likely be late (overdue risk)"),
    "whatif": ("caseflow.replay.whatif_cli", "a draft scoring rule against past periods, beside the adopted one"),
    "province": ("caseflow.province.cli", "a province's own files from its cities' (省级监管平台数据联网)"),
    "up": ("caseflow_devstack.up", "start Kafka, PostgreSQL, the four services and a sample feed locally"),
    "intake": ("caseflow_intake.main", "run the intake service (HTTP + raw intake topic)"),
    "dispatch": ("caseflow_dispatch.main", "run the dispatch service (case state machine, deadlines)"),
    "scoring": ("caseflow_scoring.main", "run the scoring service (indicators, schemes, HTTP API)"),
    "notify": ("caseflow_notify.main", "run the notify service (alerts to webhooks and robots; units' boards)"),
    "infra": ("caseflow_devstack.infra_cli", "start the project's own Kafka and PostgreSQL and print their addresses"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command is listed; only `command`'s module is imported (its options), so `caseflow replay`
    does not pay for the services' web and database libraries (about a third of a second)."""
    parser = argparse.ArgumentParser(
        prog="caseflow",
        description="caseflow: case deadlines, unit indicators, scores and alerts for 数字城管 command centres.",
        epilog="Run `caseflow COMMAND --help` for a command's options and examples.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=help_text, description=help_text)
            continue
        module = import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text,
                           epilog=getattr(module, "EXAMPLES", None),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request's URL, and robot URLs carry their access token or key (and signature).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    from caseflow.config.schemes import ConfigError

    try:
        return run(args)
    except ConfigError as exc:  # a service's configuration files: say which file, key and fix, and stop
        print(f"caseflow {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
