"""What a report shows, computed from replays: the period (a month, quarter or year), the one before
(环比), the same one a year before (同比), a month-by-month trend (the last six months of a month; the
months of a quarter or year), and the overdue and reworked cases. Pure; the writers only lay it out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.config.units import Directory
from caseflow.domain.schemes import Scheme, TermResult, term_results
from caseflow.evaluation.case_lines import CaseLine
from caseflow.evaluation.document import Applied
from caseflow.evaluation.periods import month_bounds, shift_month
from caseflow.instants import iso
from caseflow.replay.engine import ReplayResult

TREND_MONTHS = 6


@dataclass(frozen=True)
class RankRow:
    unit: str
    name: str
    unit_class: int | None
    rank: int | None
    score: float
    grade: str | None
    terms: list[TermResult]
    missing: list[str]


@dataclass(frozen=True)
class ReportPeriods:
    """The periods a report evaluates, by name, and what people call them."""

    name: str
    kind: str  # month | quarter | year
    previous: str  # 环比 (for a year: the year before, the same as last_year)
    last_year: str  # 同比
    trend: list[str]  # months, oldest first

    @property
    def labels(self) -> dict[str, str]:
        return {"month": {"now": "本月 this month", "previous": "上月 last month", "last_year": "去年同月 last year"},
                "quarter": {"now": "本季 this quarter", "previous": "上季 last quarter",
                            "last_year": "去年同季 last year"},
                "year": {"now": "本年 this year", "previous": "上年 last year", "last_year": "上年 last year"},
                }[self.kind]

    @property
    def names(self) -> list[str]:
        """Every period evaluated, each once, the report's own last."""
        return [n for n in dict.fromkeys([self.last_year, self.previous, *self.trend]) if n != self.name] + [self.name]


def report_periods(name: str) -> ReportPeriods:
    """For a month, quarter (2026-Q4) or year (2026); PeriodError for anything else."""
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", name)
    if quarter:
        year, q = int(quarter.group(1)), int(quarter.group(2))
        previous = f"{year}-Q{q - 1}" if q > 1 else f"{year - 1}-Q4"
        months = [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
        return ReportPeriods(name, "quarter", previous, f"{year - 1}-Q{q}", months)
    if re.fullmatch(r"\d{4}", name):
        year = int(name)
        return ReportPeriods(name, "year", str(year - 1), str(year - 1), [f"{year}-{m:02d}" for m in range(1, 13)])
    month_bounds(name, "--period")  # a month, or the error that says what a period may be
    return ReportPeriods(name, "month", shift_month(name, -1), shift_month(name, -12), months_needed(name)[1:])


@dataclass(frozen=True)
class Report:
    name: str  # the period reported: 2026-10, 2026-Q4 or 2026
    periods: ReportPeriods
    scheme: Scheme
    current: ReplayResult
    previous: ReplayResult  # 环比
    last_year: ReplayResult  # 同比
    trend: list[tuple[str, ReplayResult]]  # months, oldest first
    ranking: dict[int | None, list[RankRow]]  # class (None: ranked across all) -> rows by rank
    region_targets: dict[str, float]
    unit_class: Mapping[str, int]
    overdue: list[CaseLine]
    reworked: list[CaseLine]
    applied: list[Applied] = field(default_factory=list)  # the exemption applications (--exemptions)
    sealed: str = ""  # a closed month: its content hash, or that these numbers differ from it (--recompute)
    cities: list[dict[str, Any]] = field(default_factory=list)  # a province's cities as signed (--cities)


KIND_ZH = {"exclude": "案件核减", "on_time": "超期核减", "rework": "返工核减"}
STATUS_ZH = {"approved": "已批准", "rejected": "已驳回", "pending": "待审核"}


def exemption_rows(report: Report) -> list[list[str]]:
    """The report's period's exemption applications, one row each: id, unit, case, dispatched, kind, reason,
    status, who decided and why."""
    start, end = report.current.period.start, report.current.period.end
    return [[a.id, a.unit_id, a.case_id, iso(a.dispatched_at), KIND_ZH.get(a.kind, a.kind), a.reason,
             STATUS_ZH.get(a.status, a.status), a.decided_by, a.decision]
            for a in sorted(report.applied, key=lambda a: (a.unit_id, a.dispatched_at, a.id))
            if start <= a.dispatched_at < end]


EXEMPTION_HEAD = ["申请编号 id", "单位 unit", "案件 case", "派遣时间 dispatched", "类型 kind", "原因 reason",
                  "状态 status", "审核人 decided by", "审核意见 decision"]


def months_needed(month: str) -> list[str]:
    """Every month a report evaluates: the trend (which includes the previous month) and last year's."""
    trend = [shift_month(month, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    return [shift_month(month, -12), *trend]


def ranking(result: ReplayResult, scheme: Scheme, directory: Directory,
            manual: Mapping[str, Mapping[str, float]]) -> dict[int | None, list[RankRow]]:
    scores = result.scores[scheme.id]
    groups: dict[int | None, list[RankRow]] = {}
    for unit, row in result.indicators.units.items():
        known = directory.units.get(unit)
        cls = directory.unit_class.get(unit) if scheme.rank_within == "class" else None
        s = scores[unit]
        groups.setdefault(cls, []).append(RankRow(
            unit, known.name if known else "?", directory.unit_class.get(unit), s["rank"], s["score"],
            s.get("grade"), term_results(scheme, row, manual.get(unit, {})), s.get("missing", [])))
    for rows in groups.values():
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.score, r.unit))
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))


def region_targets(schemes: Mapping[str, Scheme]) -> dict[str, float]:
    targets: dict[str, float] = {}
    for scheme in schemes.values():
        if scheme.kind == "region_listing":
            targets.update(scheme.targets)
    return targets


def region_verdict(result: ReplayResult, region: str, key: str) -> str | None:
    """A region's indicator against the listing schemes' target: pass, fail, trial (试运行, when the
    region is on trial under a scheme that honours trials), progress (进度: the scheme does not judge this
    kind of period), or None (no target, or a null value)."""
    for listing in result.listings.values():
        row = listing["rows"].get(region) if listing["on"] == "regions" else None
        item = row["indicators"].get(key) if row else None
        if item is None or "target" not in item:
            continue
        if row is not None and row["status"] in ("trial", "progress"):
            return str(row["status"])
        return None if item["pass"] is None else ("pass" if item["pass"] else "fail")
    return None


def change(now: Any, before: Any) -> float | None:
    """环比/同比 as a difference (rates: percentage points as a fraction; counts: the count)."""
    if now is None or before is None:
        return None
    return float(now) - float(before)
