"""`caseflow whatif`: a draft scoring rule against past periods, beside the adopted one."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from caseflow.config.rules import load_rules
from caseflow.config.schemes import ConfigError, load_schemes, scheme_files
from caseflow.config.units import load_directory
from caseflow.domain.indicators import Indicators
from caseflow.domain.period_tally import evaluate_both
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.fed_terms import fed_inputs
from caseflow.evaluation.periods import PeriodError, make_period, months_in
from caseflow.evaluation.whatif import SchemeComparison, frozen_differences, what_if
from caseflow.evaluation.whatif_view import as_json, page_html, table
from caseflow.replay.assessed import add_assessment_arguments, from_files, with_scoring
from caseflow.replay.cli import add_rules_arguments
from caseflow.replay.exempted import add_exemption_arguments, approved_of, exemptions_from
from caseflow.replay.loading import fold
from caseflow.replay.report_sealed import closed_file
from caseflow.replay.scoring_client import ScoringClient, ScoringError, applications_for
from caseflow.replay.sources import SourceError, add_source_arguments, source_from_args

EXAMPLES = """examples:
  caseflow whatif --schemes-dir draft/ --period 2026-10 --input events.jsonl --units units.yaml
  caseflow whatif --schemes-dir draft/ --period 2026-Q3 --from-archive --units units.yaml --out whatif/
  caseflow whatif --schemes-dir draft/ --period 2026-10 --from-archive --units units.yaml --closed 2026-10.json
The draft folder holds the scheme files that change (same ids as the adopted ones: a weight moved, a term
added) or new schemes; the adopted rules are the built-ins with the deployment's own (--adopted-dir,
default CASEFLOW_SCHEMES_DIR). The period (a month, a quarter or a year) is replayed once and scored both
ways: every unit's score and rank under each, the places it gains or loses, and the term that moved it
most. --out writes whatif.html (a slope graph of the ranks per scheme, the tables) and whatif.json.
Both sides are scored with the period's manual evaluations and the template totals its terms are fed
from, as the period's document scores them: with --scoring-url they are read from scoring (and the
records of --assessments files replace scoring's); without it only --assessments files count.
A closed month (--closed RECORD.json, or --scoring-url) is compared as it was signed: the adopted scores
must equal the frozen ones, or the comparison is refused (exit 1) unless --recompute. For a quarter or a
year each of its closed months is checked so (--closed once per month, or --scoring-url asks for each)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    env = os.environ.get
    add_source_arguments(p)
    p.add_argument("--schemes-dir", type=Path, required=True, metavar="DRAFT",
                   help="the draft: scheme YAML files that replace the adopted ones of the same id, or add new ones")
    p.add_argument("--adopted-dir", type=Path, default=env("CASEFLOW_SCHEMES_DIR"),
                   help="the deployment's adopted scheme files (default: CASEFLOW_SCHEMES_DIR; none: the built-ins)")
    p.add_argument("--units", type=Path, default=env("CASEFLOW_UNITS_FILE"), help="units file (ids, names, classes)")
    p.add_argument("--period", required=True, help="a month YYYY-MM, a quarter YYYY-Qn or a year YYYY")
    add_rules_arguments(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="what stdout shows")
    p.add_argument("--out", type=Path, help="a folder for whatif.html and whatif.json")
    p.add_argument("--closed", type=Path, metavar="FILE", action="append",
                   help="a closed month's record (GET /v1/months/MONTH, saved); for a quarter or a year, one "
                        "per closed month of it (repeat the option)")
    p.add_argument("--scoring-url", help="ask scoring which months of the period are closed (then as --closed)")
    p.add_argument("--api-key", help="an API key scoring accepts (default: CASEFLOW_API_KEY)")
    p.add_argument("--recompute", action="store_true", help="compare even where the adopted scores differ from "
                                                            "the closed month's")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_exemption_arguments(p)
    add_assessment_arguments(p, fetched=True)


def signed_months(args: argparse.Namespace, period: str, client: ScoringClient | None
                  ) -> dict[str, dict[str, Any]]:
    """The closed months of the period (the period itself when it is a month) and their records."""
    months = months_in(period)
    if args.closed:
        records = {}
        for path in args.closed:
            record = closed_file(path)
            if record.get("period") not in months:
                raise ConfigError(f"--closed {path} is the record of {record.get('period')}, not a month of {period}")
            records[str(record["period"])] = record
        return records
    if client is not None:
        return {m: r for m in months if (r := client.month(m)) is not None}
    return {}


class Inputs:
    """What the people decided for a period: manual evaluations, assessment records and exemptions, read
    from scoring (--scoring-url; --assessments and --exemptions files replace its own), else from the
    files only."""

    def __init__(self, args: argparse.Namespace, adopted: dict[str, Scheme]) -> None:
        self.args, self.adopted = args, adopted
        self.client = ScoringClient(args.scoring_url, args.api_key) if args.scoring_url else None
        if self.client is None:
            self.exempted = exemptions_from(args)
        else:
            self.exempted = approved_of(applications_for(args, self.client, args.period) or [])

    def compared(self, name: str, indicators: Indicators, crossing: Indicators | None,
                 unit_class: Mapping[str, int], draft: Mapping[str, Scheme]) -> list[SchemeComparison]:
        """Both sides scored as the period's document scores them (the files given are of the period asked,
        not of its months)."""
        asked = name == self.args.period
        if self.client is None:
            manual, assessed = None, from_files(self.args, name, self.adopted) if asked else {}
        else:
            manual = self.client.manual(name)
            assessed = with_scoring(self.args, name, self.client, self.adopted, files=asked)
        fed = fed_inputs(indicators, self.adopted, manual, assessed)
        return what_if(indicators, crossing, unit_class, self.adopted, draft, manual, fed)


def run(args: argparse.Namespace) -> int:
    try:
        if args.units is None:
            raise ConfigError("--units is required (or set CASEFLOW_UNITS_FILE)")
        period = make_period(args.period, None, None, None)
        directory = load_directory(args.units)
        rules = load_rules(args.calendar_file, args.time_limits, args.rules_file)
        adopted = load_schemes(args.adopted_dir)
        if not args.schemes_dir.is_dir() or not any(args.schemes_dir.glob("*.yaml")):
            raise ConfigError(f"--schemes-dir {args.schemes_dir}: no scheme files (*.yaml) there to try")
        draft = {**adopted, **scheme_files(args.schemes_dir)}
        inputs = Inputs(args, adopted)
        signed = signed_months(args, args.period, inputs.client)
        inside = {m: make_period(m, None, None, None) for m in signed if m != args.period}
        book, *month_books = fold(source_from_args(args), [period.as_of, *(p.as_of for p in inside.values())],
                                  rules, not args.no_progress)
        cross = any(s.cross_month for s in (*adopted.values(), *draft.values()))
        indicators, crossing = evaluate_both(book.cases(), period, rules, directory.units, directory.regions, cross,
                                             inputs.exempted)
        found = inputs.compared(args.period, indicators, crossing, directory.unit_class, draft)
        diffs = frozen_differences(signed[args.period], found) if args.period in signed else []
        for (month, month_period), month_book in zip(inside.items(), month_books, strict=True):
            # a quarter's or a year's scores are not its months': each closed month is scored as it was signed
            month_rows = evaluate_both(month_book.cases(), month_period, rules, directory.units, directory.regions,
                                       cross, inputs.exempted)
            signed_now = inputs.compared(month, *month_rows, directory.unit_class, adopted)
            diffs += [f"{month} {d}" for d in frozen_differences(signed[month], signed_now)]
    except (ConfigError, PeriodError, SourceError, ScoringError) as exc:
        print(f"caseflow whatif: {exc}", file=sys.stderr)
        return 2
    if diffs and not args.recompute:
        print("caseflow whatif: the closed month signed other adopted scores than these events give:\n  "
              + "\n  ".join(diffs[:20]) + "\nCompare from the archive it was closed from, with its manual "
              "evaluations and assessment records (--scoring-url, or --assessments files), or add --recompute.",
              file=sys.stderr)
        return 1
    sealed = ""
    if signed:
        hashes = signed[args.period]["content_hash"] if args.period in signed else "已封存月份 " + "、".join(signed)
        sealed = hashes + ("（重算，与封存不同）" if diffs else "（与封存一致）")
    names = directory.names
    doc = as_json(args.period, found, names, sealed)
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        sys.stdout.write(table(found, names))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "whatif.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        (args.out / "whatif.html").write_text(page_html(args.period, found, names, sealed), "utf-8")
        print(f"wrote {args.out / 'whatif.html'}", file=sys.stderr)
    return 0
