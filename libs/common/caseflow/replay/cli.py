"""`caseflow replay`: compute a period from a file of events, no Kafka, no database."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from caseflow.config.rules import load_rules, warn_if_fallback
from caseflow.config.schemes import ConfigError, load_schemes
from caseflow.config.units import Directory, load_directory
from caseflow.domain.calendar import day_to_date, local_day
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.periods import PeriodError, make_period
from caseflow.replay.assessed import add_assessment_arguments
from caseflow.replay.assessed import from_files as assessed_files
from caseflow.replay.engine import with_fed_scores
from caseflow.replay.exempted import add_exemption_arguments, applied_from, exemptions_from
from caseflow.replay.loading import compute
from caseflow.replay.output import as_document, to_csv, to_table
from caseflow.replay.sources import Source, SourceError, add_source_arguments, source_from_args

EXAMPLES = """examples:
  caseflow replay --input events.jsonl --units units.yaml --period 2026-10
  caseflow replay --input events.jsonl --units units.yaml --start 2026-10-01 --end 2026-11-01 --format table
  caseflow replay --input events.jsonl --units units.yaml --period 2026-10 --as-of 2026-10-15T18:00
  caseflow replay --from-kafka --units units.yaml --period 2026-10      # the live topic, no consumer group
  caseflow replay --from-archive --units units.yaml --period 2026-10    # PostgreSQL's event archive
  caseflow replay --input events.jsonl --units units.yaml --period 2026-10 --assessments records.json
      # records.json: GET /v1/assessment-exports/district-rules/2026-10 from scoring
Times without an offset are Asia/Shanghai local time. --format json prints the audit's canonical
numbers (rates as fractions, unrounded; null where a denominator is 0)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_arguments(p)
    p.add_argument("--start", help="period start (inclusive), ISO date or date-time")
    p.add_argument("--end", help="period end (exclusive), ISO date or date-time")
    p.add_argument("--format", choices=("json", "table", "csv"), default="json")
    add_assessment_arguments(p, fetched=False)
    add_exemption_arguments(p)


def add_config_arguments(p: argparse.ArgumentParser, period_help: str = "a month, YYYY-MM (Asia/Shanghai)") -> None:
    """The options replay, audit, close-month and report share: source, units, period, rule files."""
    add_source_arguments(p)
    p.add_argument("--units", type=Path, default=os.environ.get("CASEFLOW_UNITS_FILE"),
                   help="units file (units: [{id, name, class}], regions); default: CASEFLOW_UNITS_FILE")
    p.add_argument("--period", help=period_help)
    p.add_argument("--as-of", dest="as_of", help="evaluate as of this instant (default: the period's end)")
    p.add_argument("--schemes-dir", type=Path, default=os.environ.get("CASEFLOW_SCHEMES_DIR"),
                   help="extra scheme YAML files (override built-ins by id); default: CASEFLOW_SCHEMES_DIR")
    add_rules_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes folding a large month, split by case (default: one per CPU, "
                        f"{os.cpu_count()} here); the result is the same for any number")


def add_rules_arguments(p: argparse.ArgumentParser) -> None:
    """The deadline rules' files: calendar, time limits, the rules file."""
    env = os.environ.get
    p.add_argument("--calendar-file", type=Path, default=env("CASEFLOW_CALENDAR_FILE"),
                   help="holidays/make-up workdays for years the package lacks; default: CASEFLOW_CALENDAR_FILE")
    p.add_argument("--time-limits", type=Path, default=env("CASEFLOW_TIME_LIMITS_FILE"),
                   help="time-limit table YAML (立结案标准); default: CASEFLOW_TIME_LIMITS_FILE")
    p.add_argument("--rules-file", type=Path, default=env("CASEFLOW_RULES_FILE"),
                   help="working windows, lateness, engineering and repeat-excluded codes, alert timing "
                        "(docs/runbook.md); default: CASEFLOW_RULES_FILE")


def load_config(args: argparse.Namespace) -> tuple[Period, Directory, Rules, dict[str, Scheme], Source]:
    """Everything a replay needs from the command line; ConfigError/PeriodError/SourceError name the fix."""
    if args.units is None:
        raise ConfigError("--units is required (or set CASEFLOW_UNITS_FILE)")
    if args.workers < 1:
        raise ConfigError("--workers must be 1 or more")
    if not args.period and not hasattr(args, "start"):  # audit, report: a month, no --start/--end
        raise PeriodError("--period is required (e.g. --period 2026-10)")
    period = make_period(args.period, getattr(args, "start", None), getattr(args, "end", None), args.as_of)
    directory = load_directory(Path(args.units))
    rules = load_rules(args.calendar_file, args.time_limits, args.rules_file)
    schemes = load_schemes(args.schemes_dir)
    source = source_from_args(args)
    years = range(day_to_date(local_day(period.start)).year, day_to_date(local_day(period.as_of)).year + 1)
    warn_if_fallback(rules.calendar, years)
    return period, directory, rules, schemes, source


def run(args: argparse.Namespace) -> int:
    try:
        period, directory, rules, schemes, source = load_config(args)
        assessed = assessed_files(args, args.period or f"{args.start}/{args.end}", schemes)
        result = compute(source, period, rules, directory, schemes, args.workers, not args.no_progress,
                         exemptions=exemptions_from(args))
        result = with_fed_scores(result, schemes, directory, None, assessed or None)
    except (PeriodError, ConfigError, SourceError) as exc:
        print(f"caseflow replay: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(as_document(result, assessed or None, directory.unit_class,
                                                         applied_from(args)),
                                             option=orjson.OPT_INDENT_2) + b"\n")
    elif args.format == "csv":
        sys.stdout.write(to_csv(result))
    else:
        sys.stdout.write(to_table(result, directory))
        document = as_document(result, assessed or None, directory.unit_class,
                                                         applied_from(args))
        for template_id, part in document.get("assessments", {}).items():
            totals = ", ".join(f"{s} {v['total']:g}" for s, v in part["totals"].items())
            sys.stdout.write(f"\n{template_id}: {totals}\n")
    return 0
