"""Deadlines (rules §3): limits, extensions, suspensions, rework, and the traffic light."""

from __future__ import annotations

from typing import Literal

from caseflow.domain.calendar import HOUR, WorkingCalendar
from caseflow.domain.events import Duration
from caseflow.domain.state import Assignment, LimitKind

Light = Literal["green", "yellow", "red"]


def limit_of(duration: Duration, calendar: WorkingCalendar) -> tuple[LimitKind, int]:
    if duration.unit == "hours":
        return "calendar", round(duration.value * HOUR)
    if duration.unit == "working_days":
        return "working", round(duration.value * calendar.day_length)
    return "working", round(duration.value * HOUR)


def measure(kind: LimitKind, t1: int, t2: int, calendar: WorkingCalendar) -> int:
    """Time from t1 to t2 in the limit's own time (negative when t2 < t1)."""
    if kind == "calendar":
        return t2 - t1
    if t2 >= t1:
        return calendar.working_between(t1, t2)
    return -calendar.working_between(t2, t1)


def advance(kind: LimitKind, start: int, amount: int, calendar: WorkingCalendar) -> int:
    if kind == "calendar":
        return start + amount
    return calendar.add_working(start, amount)


def start_cycle(
    at: int,
    deadline_at: int | None,
    time_limit: Duration | None,
    urgent: bool,
    fallback: tuple[LimitKind, int],
    calendar: WorkingCalendar,
) -> tuple[LimitKind, int, int]:
    """(kind, allowance, deadline) of a dispatch or rework at `at`."""
    if deadline_at is not None:
        kind: LimitKind = "calendar" if urgent else "working"
        return kind, max(0, measure(kind, at, deadline_at, calendar)), deadline_at
    if time_limit is not None:
        kind, amount = limit_of(time_limit, calendar)
    else:
        kind, amount = fallback
    return kind, amount, advance(kind, at, amount, calendar)


def extended_deadline(
    a: Assignment, deadline_at: int | None, extra: Duration | None, calendar: WorkingCalendar
) -> int:
    if deadline_at is not None:
        return deadline_at
    if extra is None:
        return a.deadline
    extra_kind, amount = limit_of(extra, calendar)
    return advance(extra_kind, a.deadline, amount, calendar)


def resumed_deadline(a: Assignment, suspended_at: int, resumed_at: int, calendar: WorkingCalendar) -> int:
    stopped = measure(a.kind, suspended_at, resumed_at, calendar)
    return advance(a.kind, a.deadline, stopped, calendar)


def elapsed(a: Assignment, now: int, calendar: WorkingCalendar) -> int:
    """Limit time used by the current cycle up to `now`, not counting suspensions."""
    used = measure(a.kind, a.cycle_start, now, calendar)
    for start, end in a.suspensions:
        s = max(start, a.cycle_start)
        e = now if end is None else min(end, now)
        if e > s:
            used -= measure(a.kind, s, e, calendar)
    return max(0, used)


def warning_instant(a: Assignment, fraction: float, calendar: WorkingCalendar) -> int:
    """When `fraction` of the allowance will have elapsed, if nothing else changes."""
    rest = round(a.allowance * (1 - fraction))
    if a.kind == "calendar":
        return a.deadline - rest
    return calendar.subtract_working(a.deadline, rest)


def traffic_light(a: Assignment, now: int, fraction: float, calendar: WorkingCalendar) -> Light | None:
    """红黄绿灯 of an open assignment; None once disposed or returned."""
    if not a.is_open:
        return None
    if not a.is_suspended and now >= a.deadline:
        return "red"
    if a.allowance == 0 or elapsed(a, now, calendar) >= fraction * a.allowance:
        return "yellow"
    return "green"
