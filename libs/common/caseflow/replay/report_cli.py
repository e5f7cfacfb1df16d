"""`caseflow report`: a month's, quarter's or year's workbook and charts, from the same sources as replay."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from caseflow.config.schemes import ConfigError, scheme_version
from caseflow.evaluation.periods import PeriodError, make_period
from caseflow.instants import SHANGHAI, iso
from caseflow.replay.assessed import add_assessment_arguments
from caseflow.replay.assessed import from_files as assessed_files
from caseflow.replay.audit_cli import render
from caseflow.replay.cli import add_config_arguments, load_config
from caseflow.replay.engine import with_fed_scores
from caseflow.replay.exempted import add_exemption_arguments, applied_from, exemptions_from
from caseflow.replay.loading import compute_periods
from caseflow.replay.output import as_document
from caseflow.replay.report_cities import add_cities_arguments
from caseflow.replay.report_data import (
    Report,
    ranking,
    region_targets,
    report_periods,
)
from caseflow.replay.report_sealed import add_sealed_arguments, closed_record, seal
from caseflow.replay.scoring_client import ScoringClient, ScoringError
from caseflow.replay.sources import SourceError
from caseflow.version import code_version

EXAMPLES = """examples:
  caseflow report --input events.jsonl --units units.yaml --period 2026-10 --scheme county-interim --out report.xlsx
  caseflow report --from-archive --units units.yaml --period 2026-10 --scheme standard-department --out oct.xlsx
  caseflow report --input events.jsonl --units units.yaml --period 2026-Q4 --out q4.xlsx
  caseflow report --input year.jsonl --units units.yaml --period 2026 --out 2026.xlsx   # 年考核
Writes the workbook and, beside it, a folder of charts (PNG) and report.html (--charts to choose it).
The period before (环比), the same period a year before (同比) and a month-by-month trend (a month: the
last six; a quarter or year: its months) are replayed from the same source in the same pass; periods
the source does not cover show as empty. A year ranks the year's assignments (e.g. county-interim 年考核).
With --assessments FILE (scoring's export of a template's records), the workbook has a sheet for that
template: every unit's or region's items, points and records with their evidence and status.
A closed month (--closed RECORD.json from GET /v1/months/PERIOD, or --scoring-url to ask scoring) is
reported only as it was signed: the replayed numbers must equal its document, and the report carries
its content hash; when they differ the report is refused (exit 1, the differences listed) unless
--recompute, which writes them marked as not the closed month's.
  caseflow report --from-archive --units units.yaml --period 2026-10 --closed 2026-10.json --out oct.xlsx
A province (--cities, with --scoring-url of the province's scoring): a sheet and a section of each city's own
regions as the city signed its month, and whether that month equals the province's recomputation.
  caseflow report --from-archive --units province.yaml --period 2026-10 --cities --scoring-url URL --out p.xlsx"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_arguments(p, period_help="the period to report: a month YYYY-MM, a quarter YYYY-Qn or a year YYYY "
                                        "(Asia/Shanghai)")
    p.add_argument("--scheme", default="county-interim", help="the unit scoring scheme to rank by")
    p.add_argument("--out", type=Path, required=True, help="the workbook to write (.xlsx)")
    p.add_argument("--charts", type=Path, help="folder for the PNG charts and report.html (default: OUT-charts)")
    add_assessment_arguments(p, fetched=False)
    add_exemption_arguments(p)
    add_sealed_arguments(p)
    add_cities_arguments(p)


def run(args: argparse.Namespace) -> int:
    from caseflow.replay.report_charts import write_charts
    from caseflow.replay.report_xlsx import write_workbook

    try:
        period, directory, rules, schemes, source = load_config(args)
        scheme = schemes.get(args.scheme)
        if scheme is None or scheme.kind != "unit_score":
            known = ", ".join(sorted(s for s, v in schemes.items() if v.kind == "unit_score"))
            raise ConfigError(f"--scheme {args.scheme!r} is not a unit scoring scheme; known: {known}")
        assessed = assessed_files(args, args.period, schemes)
        wanted = report_periods(args.period)
        periods = [make_period(n, None, None, None) for n in wanted.names[:-1]] + [period]
        record = closed_record(args, args.period)
        cities = ScoringClient(args.scoring_url, args.api_key).cities(args.period) if args.cities else []
        replayed = compute_periods(source, periods, rules, directory, schemes, args.workers,
                                   not args.no_progress, case_lines=True, exemptions=exemptions_from(args))
    except (PeriodError, ConfigError, SourceError, ScoringError) as exc:
        print(f"caseflow report: {exc}", file=sys.stderr)
        return 2
    results = dict(zip(wanted.names, replayed.results, strict=True))
    current = results[args.period] = with_fed_scores(results[args.period], schemes, directory, None, assessed or None)
    overdue, reworked = replayed.overdue, replayed.reworked
    applied = applied_from(args) or []
    document = as_document(current, assessed or None, directory.unit_class, applied or None)
    sealed, diffs = seal(record, document)
    if diffs and not args.recompute:
        sys.stdout.write(render(diffs, f"{args.period} is closed; these events give other numbers", left="closed",
                                right="now"))
        print(f"caseflow report: {args.period} is closed as {record['content_hash']} (record)"  # type: ignore[index]
              " and these events give other numbers: not writing a report that differs from the signed month. "
              "Report from the archive it was closed from, or add --recompute to write these numbers, marked "
              "as recomputed.", file=sys.stderr)
        return 1
    report = Report(
        name=args.period, periods=wanted, scheme=scheme, current=current, previous=results[wanted.previous],
        last_year=results[wanted.last_year], trend=[(m, results[m]) for m in wanted.trend],
        ranking=ranking(current, scheme, directory, {}), region_targets=region_targets(schemes),
        unit_class=directory.unit_class, overdue=overdue, reworked=reworked, applied=applied,
        sealed=sealed, cities=cities)
    about = {
        "考核周期 period": f"{iso(period.start)} .. {iso(period.end)}", "统计截止 as-of": iso(period.as_of),
        "考核办法 scheme": f"{scheme.name} ({scheme.id}) version {scheme_version(scheme)}",
        "数据来源 source": source.describe(), "程序版本 code": code_version(),
        "生成时间 generated": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        "拒收事件 rejected": str(len(current.rejected) + len(current.invalid)),
        **({"封存 closed month": sealed} if sealed else {}),
    }
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        sheets = {t: (template, document["assessments"][t]) for t, (template, _) in assessed.items()}
        write_workbook(report, args.out, about, sheets, directory.names, directory.unit_class)
        charts = write_charts(report, args.charts or args.out.with_name(args.out.stem + "-charts"))
    except OSError as exc:
        print(f"caseflow report: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    for path in charts:
        print(f"wrote {path}")
    return 0
