"""Unit and region indicators (rules §4 and §5), evaluated for a period as of an instant."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from caseflow.domain import asof
from caseflow.domain.cross_month import crosses
from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicator_keys import UNIT_COUNTS
from caseflow.domain.state import CaseState
from caseflow.domain.tally import count_assignment, count_carried, count_report, count_visits, zero_region

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


def count(
    cases: Iterable[CaseState],
    period: Period,
    repeats: Container[str],
    unit_ids: Iterable[str] = (),
    region_ids: Iterable[str] = (),
    cross_month: bool = False,
    exemptions: Exemptions = NONE,
) -> Counts:
    """Counts over `cases`; `repeats` are the ids of the repeat cases among all the period's cases;
    `exemptions` the approved ones (rules §4a)."""
    t = period.as_of
    units: dict[str, dict[str, int]] = {u: dict.fromkeys(UNIT_COUNTS, 0) for u in unit_ids}
    region_counts: dict[str, dict[str, int]] = {r: zero_region() for r in region_ids}
    for case in cases:
        region = region_counts.get(case.region)
        if period.contains(case.reported_at):
            region = region if region is not None else region_counts.setdefault(case.region, zero_region())
            count_report(region, case, t)
        count_visits(units, case, period)
        for a in case.assignments:
            kinds = exemptions.of(case.case_id, a)
            if not period.contains(a.dispatched_at):
                if cross_month and a.dispatched_at < period.start:
                    count_carried(units, a, period, t, kinds)
                continue
            counts = units.get(a.unit)
            if counts is None:
                counts = units[a.unit] = dict.fromkeys(UNIT_COUNTS, 0)
            if asof.returned_by(a, t):  # an exemption of a returned assignment changes nothing
                counts["returned"] += 1
                continue
            if "exclude" in kinds:
                counts["exempted"] += 1
                continue
            if region is None:
                region = region_counts.setdefault(case.region, zero_region())
            count_assignment(counts, region, case, a, t, period.end if cross_month and crosses(a, t) else None,
                             kinds)
        if case.case_id in repeats:
            for unit in repeat_units(case, period, exemptions):
                units[unit]["repeat"] += 1
    return Counts(units, region_counts)


def repeat_units(case: CaseState, period: Period, exemptions: Exemptions = NONE) -> tuple[str, ...]:
    """The units whose `repeat` count a repeat case adds to: each assignment of the period's not returned
    and not excluded (an excluded assignment is in no §4 count; which cases are repeats does not change)."""
    return tuple(a.unit for a in case.assignments
                 if period.contains(a.dispatched_at) and not asof.returned_by(a, period.as_of)
                 and "exclude" not in exemptions.of(case.case_id, a))


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
