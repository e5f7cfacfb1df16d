"""Counting one case into a period's unit and region counts, as of an instant (rules §4 and §5): the
report, the return visits, each assignment (due, disposed on time, overdue, pending, closed, reworked,
extended, suspended, supervised), and a disposal carried from the month before (cross-month)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from caseflow.domain import asof
from caseflow.domain.cross_month import carried_disposal
from caseflow.domain.indicator_keys import ACTIVE_SOURCES, DISCOVERY_SOURCES, UNIT_COUNTS
from caseflow.domain.state import Assignment, CaseState

if TYPE_CHECKING:
    from caseflow.domain.indicators import Period

NEVER = 2**62  # an `on_time` exemption's deadline: later than any instant


def zero_region() -> dict[str, int]:
    keys = ("reported", "filed", "collector_reported", "collector_filed", "active_filed",
            "discovery_filed", "due", "on_time", "closed", "closed_on_time")
    return dict.fromkeys(keys, 0)


def count_report(region: dict[str, int], case: CaseState, t: int) -> None:
    filed = asof.filed_by(case, t)
    region["reported"] += 1
    region["filed"] += filed
    if case.source == "collector":
        region["collector_reported"] += 1
        region["collector_filed"] += filed
    if filed and case.source in DISCOVERY_SOURCES:
        region["discovery_filed"] += 1
        region["active_filed"] += case.source in ACTIVE_SOURCES


def count_visits(units: dict[str, dict[str, int]], case: CaseState, period: Period) -> None:
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


def count_carried(units: dict[str, dict[str, int]], a: Assignment, period: Period, t: int,
                  kinds: frozenset[str] = frozenset()) -> None:
    """`kinds`: the assignment's approved exemptions (rules §4a), as for the month it was dispatched in."""
    carried = carried_disposal(a, period.start, period.end, t)
    if carried is None or "exclude" in kinds:
        return
    counts = units.get(a.unit)
    if counts is None:
        counts = units[a.unit] = dict.fromkeys(UNIT_COUNTS, 0)
    on_time = carried[1] or "on_time" in kinds
    counts["disposed"] += 1
    counts["on_time"] += on_time
    counts["late_disposed"] += not on_time


def count_assignment(counts, region, case, a, t: int, crossing_until: int | None = None,
                     kinds: frozenset[str] = frozenset()) -> None:
    """`crossing_until`: the assignment crosses a month (cross-month counts): it is due here, and
    disposed here only if its disposal lies before this instant (the period's end). `kinds`: its approved
    exemptions other than `exclude` (rules §4a): `on_time`, its deadline never passes; `rework`, its
    reworks are not counted."""
    deadline = NEVER if "on_time" in kinds else asof.deadline_at(a, t)
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
    counts["reworked"] += "rework" not in kinds and asof.reworked_by(a, t)
    counts["extended"] += asof.extended_by(a, t)
    counts["suspended"] += asof.ever_suspended_by(a, t)
    if case.supervisions:
        counts["supervised"] += asof.supervised_by(case, t)
        for reason in asof.supervision_reasons_by(case, t):
            key = f"supervised_{reason}"
            if key in counts:
                counts[key] += 1
