"""`caseflow close-month`: freeze an audited month in scoring, or show (and diff) a closed one."""

from __future__ import annotations

import argparse
import sys

from caseflow.config.schemes import ConfigError, scheme_versions
from caseflow.evaluation.periods import PeriodError
from caseflow.replay.assessed import add_assessment_arguments, with_scoring
from caseflow.replay.audit import compare
from caseflow.replay.audit_cli import add_scoring_arguments, render
from caseflow.replay.cli import add_config_arguments, load_config
from caseflow.replay.exempted import add_exemption_arguments, approved_of
from caseflow.replay.loading import replay_document
from caseflow.replay.scoring_client import ScoringClient, ScoringError, applications_for
from caseflow.replay.sources import SourceError
from caseflow.version import code_version

EXAMPLES = """examples:
  caseflow close-month 2026-10 --from-archive --units units.yaml --api-key OPERATOR_KEY
  caseflow close-month 2026-10 --from-archive --units units.yaml --api-key KEY --diff
The month is replayed and audited against scoring first; it is closed only when they agree (and
scoring checks that again, with the same scheme versions). Its assessment records are frozen with it
(every template's totals and records, with their files' hashes): none may still wait for a decision, and
none changes after. A closed month is never recomputed: running
this again shows the stored result; --diff also replays now and lists what would differ.
Exit status: 0 closed (or shown, no difference), 1 refused or differences, 2 could not run."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("month", help="the month to close, YYYY-MM (Asia/Shanghai)")
    add_config_arguments(p, period_help=argparse.SUPPRESS)
    add_scoring_arguments(p)
    add_assessment_arguments(p, fetched=True)
    add_exemption_arguments(p)
    p.add_argument("--diff", action="store_true", help="for a closed month: replay now and show the differences")


def _show_closed(record: dict[str, object]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in dict(record["scheme_versions"]).items())  # type: ignore[call-overload]
    return (f"{record['period']} is CLOSED: {record['content_hash']}\n"
            f"  closed {record['closed_at']} by {record['closed_by']} from {record['source']}\n"
            f"  code: {record['code_version']}\n  schemes: {versions}\n")


def run(args: argparse.Namespace) -> int:
    if args.as_of:
        print("caseflow close-month: a month is closed as of its end; --as-of is for replay and audit",
              file=sys.stderr)
        return 2
    args.period = args.month
    try:
        client = ScoringClient(args.scoring_url, args.api_key)
        closed = client.month(args.month)
        if closed is not None and not args.diff:
            sys.stdout.write(_show_closed(closed))
            return 0
        period, directory, rules, schemes, source = load_config(args)
        assessed = with_scoring(args, args.month, client, schemes)
        applied = applications_for(args, client, args.month)
        replayed = replay_document(source, period, rules, directory, schemes, client.manual(args.month),
                                   args.workers, not args.no_progress, assessed, approved_of(applied or []), applied)
        if closed is not None:
            diffs = compare(closed["document"], replayed)
            sys.stdout.write(_show_closed(closed))
            sys.stdout.write(render(diffs, f"stored {args.month} vs a replay of {source.describe()} now",
                                    left="closed", right="now"))
            return 1 if diffs else 0
        diffs = compare(replayed, client.period(args.month, None))
        if diffs:
            sys.stdout.write(render(diffs, f"audit of {args.month} failed; not closing"))
            return 1
        status, body = client.close(args.month, {
            "document": replayed, "scheme_versions": scheme_versions(schemes),
            "replay_code_version": code_version(), "source": source.describe()})
    except (PeriodError, ConfigError, SourceError, ScoringError) as exc:
        print(f"caseflow close-month: {exc}", file=sys.stderr)
        return 2
    if status != 201:
        print(f"caseflow close-month: scoring refused ({status}): {body.get('detail', body)}", file=sys.stderr)
        return 1
    sys.stdout.write(_show_closed(body))
    return 0
