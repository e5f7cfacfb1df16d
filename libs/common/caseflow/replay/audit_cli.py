"""`caseflow audit`: replay a period and compare every indicator, score and rank with live scoring."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

import orjson

from caseflow.config.schemes import ConfigError
from caseflow.evaluation.periods import PeriodError
from caseflow.replay.assessed import add_assessment_arguments, with_scoring
from caseflow.replay.audit import Difference, cases_behind, compare
from caseflow.replay.cli import add_config_arguments, load_config
from caseflow.replay.exempted import add_exemption_arguments, approved_of
from caseflow.replay.loading import fold, replay_document
from caseflow.replay.scoring_client import ScoringClient, ScoringError, applications_for
from caseflow.replay.sources import SourceError

EXAMPLES = """examples:
  caseflow audit --from-archive --units units.yaml --period 2026-10
  caseflow audit --from-kafka --units units.yaml --period 2026-10 --as-of 2026-10-31T18:00
  caseflow audit --input events.jsonl --units units.yaml --period 2026-10 --format json
  caseflow audit --from-archive --units units.yaml --period 2026-10 --assessments district-rules-2026-10.json
      # the records as exported at the close, against the records scoring holds now
Assessment totals and records are compared too: each template's records come from scoring's export
unless a file is given for it.
Scoring is asked at --scoring-url (CASEFLOW_SCORING_URL, default http://127.0.0.1:8003) with --api-key
(CASEFLOW_API_KEY). Exit status: 0 all equal, 1 differences found, 2 the audit could not run."""

MAX_UNITS_EXPLAINED = 20  # each needs one request for the unit's live cases


def add_scoring_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scoring-url", help="scoring's base URL (default: CASEFLOW_SCORING_URL or :8003)")
    p.add_argument("--api-key", help="an API key scoring accepts (default: CASEFLOW_API_KEY)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_arguments(p, period_help="the month to audit, YYYY-MM (Asia/Shanghai)")
    add_scoring_arguments(p)
    add_assessment_arguments(p, fetched=True)
    add_exemption_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text")


def explain(diffs: list[Difference], replayed: list[Any], client: ScoringClient, args: argparse.Namespace,
            period: Any, rules: Any) -> list[Difference]:
    units = sorted({d.id for d in diffs if d.scope == "unit"})[:MAX_UNITS_EXPLAINED]
    live = {u: client.cases(args.period, u, args.as_of) for u in units}
    return [replace(d, cases=cases_behind(d, replayed, live[d.id], period, rules)) if d.id in live and
            d.scope == "unit" else d for d in diffs]


def render(diffs: list[Difference], header: str, left: str = "replay", right: str = "live") -> str:
    lines = [header]
    if not diffs:
        lines.append(f"VERDICT: MATCH — every indicator, score and rank of every unit and region, every listing, "
                     f"every rejected event, every assessment total and record and every exemption equals {right}.")
        return "\n".join(lines) + "\n"
    units = {d.id for d in diffs if d.scope == "unit"}
    regions = {d.id for d in diffs if d.scope == "region"}
    also = {scope: len({d.id for d in diffs if d.scope == scope}) for scope in ("rejected", "assessment", "record",
                                                                              "exemption")}
    named = {"rejected": "rejected event(s)", "assessment": "assessment total(s)", "record": "assessment record(s)",
             "exemption": "exemption application(s)"}
    lines.append(f"VERDICT: {len(diffs)} DIFFERENCE(S) in {len(units)} unit(s) and {len(regions)} region(s)"
                 + "".join(f", {n} {named[scope]}" for scope, n in also.items() if n))
    for d in diffs:
        cases = f"  cases: {', '.join(d.cases[:10])}{' …' if len(d.cases) > 10 else ''}" if d.cases else ""
        lines.append(f"  {d.scope} {d.id}  {d.key}: {left} {_show(d.expected)}  {right} {_show(d.actual)}{cases}")
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else str(value)


def run(args: argparse.Namespace) -> int:
    try:
        period, directory, rules, schemes, source = load_config(args)
        client = ScoringClient(args.scoring_url, args.api_key)
        assessed = with_scoring(args, args.period, client, schemes)
        applied = applications_for(args, client, args.period)
        replayed = replay_document(source, period, rules, directory, schemes, client.manual(args.period),
                                   args.workers, not args.no_progress, assessed, approved_of(applied or []), applied)
        live = client.period(args.period, args.as_of)
        diffs = compare(replayed, live)
        if diffs:
            # Only now the case states: fold the source again, in one process, to name the cases behind.
            (book,) = fold(source, [period.as_of], rules, not args.no_progress)
            diffs = explain(diffs, book.cases(), client, args, period, rules)
    except (PeriodError, ConfigError, SourceError, ScoringError) as exc:
        print(f"caseflow audit: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps({
            "period": replayed["period"], "source": source.describe(), "match": not diffs,
            "differences": [d.__dict__ for d in diffs]}, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        header = (f"audit {args.period} as of {replayed['period']['as_of']}: replay of {source.describe()} "
                  f"vs scoring at {client.url}; {len(replayed['units'])} units, {len(replayed['regions'])} regions")
        sys.stdout.write(render(diffs, header))
    return 1 if diffs else 0
