"""`caseflow forecast`: the overdue risk of every assignment open at an instant, as JSON lines."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from caseflow.config.rules import load_rules
from caseflow.config.schemes import ConfigError
from caseflow.config.units import load_directory
from caseflow.evaluation.periods import PeriodError, parse_instant
from caseflow.instants import iso
from caseflow.replay.cli import add_rules_arguments
from caseflow.replay.forecasting import forecast_at, in_time_order, states_at

EXAMPLES = """examples:
  caseflow forecast --input events.jsonl --units units.yaml --as-of 2026-11-16T10:00
  caseflow forecast --input nov.jsonl --history oct.jsonl --units units.yaml --as-of 2026-11-16T10:00 | \\
      jq -c 'select(.p_late >= 0.5)'
For every assignment of --input open at --as-of (dispatched, not returned, not disposed) one line:
  {"case_id", "unit_id", "dispatched_at", "deadline", "p_late", "why"}
riskiest first. p_late is the chance that it is disposed after its deadline, learnt from every assignment
of --history and --input as they stood at --as-of: how far into their limit the unit's (and, with little
data, its peers' and the city's) assignments of the same kind were disposed (docs/decisions.md, "Overdue
risk"). `why` gives the facts behind the number. With too little history (fewer than 20 past
assignments in the city still open that long, their outcome known) p_late is null and `why` says so.
Events after --as-of are not read."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    env = os.environ.get
    p.add_argument("--input", type=Path, required=True, help="the case events (JSON lines, contract v1)")
    p.add_argument("--history", type=Path, action="append", default=[],
                   help="earlier events to learn from as well (JSON lines; may be given more than once)")
    p.add_argument("--units", type=Path, default=env("CASEFLOW_UNITS_FILE"),
                   help="units file (the units' classes: a unit with little history learns from its peers)")
    p.add_argument("--as-of", dest="as_of", required=True,
                   help="the instant to forecast at, ISO 8601 (without an offset: Asia/Shanghai)")
    add_rules_arguments(p)


def _lines(path: Path, flag: str) -> list[bytes]:
    try:
        return path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot read it ({exc.strerror})") from exc


def run(args: argparse.Namespace) -> int:
    try:
        if args.units is None:
            raise ConfigError("--units is required (or set CASEFLOW_UNITS_FILE)")
        t = parse_instant(args.as_of, "--as-of")
        directory = load_directory(args.units)
        rules = load_rules(args.calendar_file, args.time_limits, args.rules_file)
        mine, invalid = in_time_order(_lines(args.input, "--input"))
        history: list[bytes] = [line for path in args.history for line in _lines(path, "--history")]
        earlier, skipped = in_time_order(history)
    except (ConfigError, PeriodError) as exc:
        print(f"caseflow forecast: {exc}", file=sys.stderr)
        return 2
    events = sorted([*earlier, *mine], key=lambda e: e.at)
    (_, cases), = states_at(events, [t], rules)
    found = forecast_at(cases, t, rules, directory.unit_class, {e.case_id for e in mine})
    out = sys.stdout.buffer
    for r in found:
        out.write(orjson.dumps({"case_id": r.case_id, "unit_id": r.unit, "dispatched_at": iso(r.dispatched_at),
                                "deadline": iso(r.deadline), "p_late": r.p_late, "why": r.why},
                               option=orjson.OPT_APPEND_NEWLINE))
    if invalid + skipped:
        print(f"caseflow forecast: {invalid + skipped} lines were not valid events and were left out "
              "(`caseflow replay` lists them)", file=sys.stderr)
    print(f"caseflow forecast: {len(found)} open assignments at {iso(t)}", file=sys.stderr)
    return 0
