"""Unit and region indicators (rules §4 and §5), evaluated for a period as of an instant."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from caseflow.domain import asof
from caseflow.domain.cross_month import carried_disposal, crosses
from caseflow.domain.repeats import repeat_cases
from caseflow.domain.rules import Rules
from caseflow.domain.state import Assignment, CaseState

# The contract's 督办 reasons: `supervised_<reason>` counts, per unit, the assignments whose case got
# a supervised event with that reason (a case supervised for two reasons counts under both).
SUPERVISION_REASONS = ("leader_instruction", "discipline", "higher_level", "media", "major_impact",
                       "major_event", "other")
UNIT_COUNTS = (
    "dispatched", "returned", "due", "disposed", "on_time", "late_disposed", "overdue_open",
    "pending", "reworked", "closed", "closed_on_time", "extended", "suspended", "supervised",
    *(f"supervised_{reason}" for reason in SUPERVISION_REASONS),
    "repeat", "visits", "satisfied", "basically_satisfied",
)
UNIT_RATES = (
    "disposal_rate", "on_time_rate", "close_rate", "on_time_close_rate", "rework_rate",
    "intact_rate", "repeat_rate", "extension_rate", "satisfaction_rate", "workload_ratio",
)
REGION_KEYS = (
    "reported", "filed", "collector_filing_rate", "active_discovery_rate",
    "resolution_rate", "timely_resolution_rate", "on_time_rate",
)
ACTIVE_SOURCES = frozenset({"collector", "video"})
DISCOVERY_SOURCES = frozenset({"collector", "video", "public", "supervision", "leader"})

Value = int | float | None


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in epoch ms, evaluated from the facts with instants <= as_of."""

    start: int
    end: int
    as_of: int

    def contains(self, t: int) -> bool:
        return self.start <= t < self.end and t <= self.as_of


@dataclass(frozen=True)
class Indicators:
    units: dict[str, dict[str, Value]]
    regions: dict[str, dict[str, Value]]


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


@dataclass(frozen=True)
class Counts:
    """The additive part of the indicators: per-unit and per-region counts over some of the cases.
    Counts of disjoint sets of cases add up (`merged`), so the work can be split by case."""

    units: dict[str, dict[str, int]]
    regions: dict[str, dict[str, int]]


def evaluate(
    cases: Sequence[CaseState],
    period: Period,
    rules: Rules,
    unit_ids: Iterable[str] = (),
    region_ids: Iterable[str] = (),
) -> Indicators:
    return evaluate_both(cases, period, rules, unit_ids, region_ids, cross_month=False)[0]


def evaluate_both(
    cases: Sequence[CaseState],
    period: Period,
    rules: Rules,
    unit_ids: Iterable[str] = (),
    region_ids: Iterable[str] = (),
    cross_month: bool = True,
) -> tuple[Indicators, Indicators | None]:
    """The indicators and, with `cross_month`, the counts under county-interim 第十一条
    (domain.cross_month), the period's repeat cases found once for both."""
    repeats = repeat_cases(cases, period.start, period.end, period.as_of, rules.repeat_excluded_codes)
    units, regions = tuple(unit_ids), tuple(region_ids)
    indicators = indicators_of(count(cases, period, repeats, units, regions))
    return indicators, indicators_of(count(cases, period, repeats, units, regions, True)) if cross_month else None


def count(
    cases: Iterable[CaseState],
    period: Period,
    repeats: Container[str],
    unit_ids: Iterable[str] = (),
    region_ids: Iterable[str] = (),
    cross_month: bool = False,
) -> Counts:
    """Counts over `cases`; `repeats` are the ids of the repeat cases among all the period's cases."""
    t = period.as_of
    units: dict[str, dict[str, int]] = {u: dict.fromkeys(UNIT_COUNTS, 0) for u in unit_ids}
    region_counts: dict[str, dict[str, int]] = {r: _zero_region() for r in region_ids}
    for case in cases:
        region = region_counts.get(case.region)
        if period.contains(case.reported_at):
            region = region if region is not None else region_counts.setdefault(case.region, _zero_region())
            _count_report(region, case, t)
        _count_visits(units, case, period)
        for a in case.assignments:
            if not period.contains(a.dispatched_at):
                if cross_month and a.dispatched_at < period.start:
                    _count_carried(units, a, period, t)
                continue
            counts = units.get(a.unit)
            if counts is None:
                counts = units[a.unit] = dict.fromkeys(UNIT_COUNTS, 0)
            if asof.returned_by(a, t):
                counts["returned"] += 1
                continue
            if region is None:
                region = region_counts.setdefault(case.region, _zero_region())
            _count_assignment(counts, region, case, a, t, period.end if cross_month and crosses(a, t) else None)
        if case.case_id in repeats:
            for unit in repeat_units(case, period):
                units[unit]["repeat"] += 1
    return Counts(units, region_counts)


def repeat_units(case: CaseState, period: Period) -> tuple[str, ...]:
    """The units whose `repeat` count a repeat case adds to: each assignment of the period's not returned."""
    return tuple(a.unit for a in case.assignments
                 if period.contains(a.dispatched_at) and not asof.returned_by(a, period.as_of))


def merged(parts: Sequence[Counts]) -> Counts:
    """The counts of the union of the parts' (disjoint) cases; keys in first-seen order."""
    units: dict[str, dict[str, int]] = {}
    regions: dict[str, dict[str, int]] = {}
    for part in parts:
        for into, source in ((units, part.units), (regions, part.regions)):
            for key, counts in source.items():
                total = into.setdefault(key, dict.fromkeys(counts, 0))
                for name, n in counts.items():
                    total[name] += n
    return Counts(units, regions)


def indicators_of(counts: Counts) -> Indicators:
    most_disposed = max((c["disposed"] for c in counts.units.values()), default=0)
    return Indicators(
        units={u: _unit_row(c, most_disposed) for u, c in counts.units.items()},
        regions={r: _region_row(c) for r, c in counts.regions.items()},
    )


def _zero_region() -> dict[str, int]:
    keys = ("reported", "filed", "collector_reported", "collector_filed", "active_filed",
            "discovery_filed", "due", "on_time", "closed", "closed_on_time")
    return dict.fromkeys(keys, 0)


def _count_report(region: dict[str, int], case: CaseState, t: int) -> None:
    filed = asof.filed_by(case, t)
    region["reported"] += 1
    region["filed"] += filed
    if case.source == "collector":
        region["collector_reported"] += 1
        region["collector_filed"] += filed
    if filed and case.source in DISCOVERY_SOURCES:
        region["discovery_filed"] += 1
        region["active_filed"] += case.source in ACTIVE_SOURCES


def _count_visits(units: dict[str, dict[str, int]], case: CaseState, period: Period) -> None:
    if not case.visits:
        return
    last = asof.last_assignment_at(case, period.as_of)
    if last is None:
        return
    for visit in case.visits:
        if visit.valid and period.contains(visit.at):
            counts = units.get(last.unit)
            if counts is None:
                counts = units[last.unit] = dict.fromkeys(UNIT_COUNTS, 0)
            counts["visits"] += 1
            counts["satisfied"] += visit.result == "satisfied"
            counts["basically_satisfied"] += visit.result == "basically_satisfied"


def _count_carried(units: dict[str, dict[str, int]], a: Assignment, period: Period, t: int) -> None:
    carried = carried_disposal(a, period.start, period.end, t)
    if carried is None:
        return
    counts = units.get(a.unit)
    if counts is None:
        counts = units[a.unit] = dict.fromkeys(UNIT_COUNTS, 0)
    on_time = carried[1]
    counts["disposed"] += 1
    counts["on_time"] += on_time
    counts["late_disposed"] += not on_time


def _count_assignment(counts, region, case, a, t: int, crossing_until: int | None = None) -> None:
    """`crossing_until`: the assignment crosses a month (cross-month counts): it is due here, and
    disposed here only if its disposal lies before this instant (the period's end)."""
    deadline = asof.deadline_at(a, t)
    disposed_at = asof.disposed_at(a, t)
    suspended = asof.suspended_at(a, t)
    closed = asof.closed_by(case, t)
    counts["dispatched"] += 1
    if crossing_until is not None and (disposed_at is None or disposed_at >= crossing_until):
        counts["due"] += 1
        region["due"] += 1
    elif disposed_at is not None:
        on_time = disposed_at <= deadline
        counts["due"] += 1
        counts["disposed"] += 1
        counts["on_time"] += on_time
        counts["late_disposed"] += not on_time
        counts["closed_on_time"] += closed and on_time
        region["due"] += 1
        region["on_time"] += on_time
        region["closed_on_time"] += closed and on_time
    elif not suspended and deadline <= t:
        counts["due"] += 1
        counts["overdue_open"] += 1
        region["due"] += 1
    else:
        counts["pending"] += 1
    counts["closed"] += closed
    region["closed"] += closed
    counts["reworked"] += asof.reworked_by(a, t)
    counts["extended"] += asof.extended_by(a, t)
    counts["suspended"] += asof.ever_suspended_by(a, t)
    if case.supervisions:
        counts["supervised"] += asof.supervised_by(case, t)
        for reason in asof.supervision_reasons_by(case, t):
            key = f"supervised_{reason}"
            if key in counts:
                counts[key] += 1


def _unit_row(c: dict[str, int], most_disposed: int) -> dict[str, Value]:
    due = c["due"]
    rework_rate = ratio(c["reworked"], due)
    row: dict[str, Value] = dict(c)
    row.update(
        disposal_rate=ratio(c["disposed"], due),
        on_time_rate=ratio(c["on_time"], due),
        close_rate=ratio(c["closed"], due),
        on_time_close_rate=ratio(c["closed_on_time"], due),
        rework_rate=rework_rate,
        intact_rate=None if rework_rate is None else 1 - rework_rate,
        repeat_rate=ratio(c["repeat"], due),
        extension_rate=ratio(c["extended"], due),
        satisfaction_rate=ratio(c["satisfied"], c["visits"]),
        workload_ratio=ratio(c["disposed"], most_disposed),
    )
    return row


def _region_row(c: dict[str, int]) -> dict[str, Value]:
    return {
        "reported": c["reported"],
        "filed": c["filed"],
        "collector_filing_rate": ratio(c["collector_filed"], c["collector_reported"]),
        "active_discovery_rate": ratio(c["active_filed"], c["discovery_filed"]),
        "resolution_rate": ratio(c["closed"], c["due"]),
        "timely_resolution_rate": ratio(c["closed_on_time"], c["due"]),
        "on_time_rate": ratio(c["on_time"], c["due"]),
    }
