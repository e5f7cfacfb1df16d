"""`caseflow replay`: compute a period from a file of events, no Kafka, no database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from caseflow.config.rules import load_rules, warn_if_fallback
from caseflow.config.schemes import ConfigError, load_schemes
from caseflow.config.units import load_directory
from caseflow.domain.calendar import day_to_date, local_day
from caseflow.replay.engine import replay
from caseflow.replay.output import to_csv, to_json, to_table
from caseflow.replay.periods import PeriodError, make_period

EXAMPLES = """examples:
  caseflow replay --input events.jsonl --units units.yaml --period 2026-10
  caseflow replay --input events.jsonl --units units.yaml --start 2026-10-01 --end 2026-11-01 --format table
  caseflow replay --input events.jsonl --units units.yaml --period 2026-10 --as-of 2026-10-15T18:00
Times without an offset are Asia/Shanghai local time. --format json prints the audit's canonical
numbers (rates as fractions, unrounded; null where a denominator is 0)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, type=Path, help="events, one contract-v1 JSON object per line")
    p.add_argument("--units", required=True, type=Path, help="units file (units: [{id, name, class}], regions)")
    p.add_argument("--period", help="a month, YYYY-MM (Asia/Shanghai)")
    p.add_argument("--start", help="period start (inclusive), ISO date or date-time")
    p.add_argument("--end", help="period end (exclusive), ISO date or date-time")
    p.add_argument("--as-of", dest="as_of", help="evaluate as of this instant (default: the period's end)")
    p.add_argument("--format", choices=("json", "table", "csv"), default="json")
    p.add_argument("--schemes-dir", type=Path, help="extra scheme YAML files (override built-ins by id)")
    p.add_argument("--calendar-file", type=Path, help="holidays/make-up workdays for years the package lacks")
    p.add_argument("--time-limits", type=Path, help="time-limit table YAML (立结案标准)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run(args: argparse.Namespace) -> int:
    try:
        period = make_period(args.period, args.start, args.end, args.as_of)
        directory = load_directory(args.units)
        rules = load_rules(args.calendar_file, args.time_limits)
        schemes = load_schemes(args.schemes_dir)
    except (PeriodError, ConfigError) as exc:
        print(f"caseflow replay: {exc}", file=sys.stderr)
        return 2
    years = range(day_to_date(local_day(period.start)).year, day_to_date(local_day(period.as_of)).year + 1)
    warn_if_fallback(rules.calendar, years)
    try:
        size = args.input.stat().st_size
        handle = args.input.open("rb")
    except OSError as exc:
        print(f"caseflow replay: cannot read --input {args.input}: {exc.strerror}", file=sys.stderr)
        return 2
    show = not args.no_progress and size > 20_000_000 and sys.stderr.isatty()
    with handle, tqdm(total=size, unit="B", unit_scale=True, disable=not show, file=sys.stderr,
                      desc="replay") as bar:
        result = replay(handle, period, rules, directory, schemes, on_line=bar.update if show else None)
    if args.format == "json":
        sys.stdout.buffer.write(to_json(result))
    elif args.format == "csv":
        sys.stdout.write(to_csv(result))
    else:
        sys.stdout.write(to_table(result, directory))
    return 0
