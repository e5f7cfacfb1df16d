"""Alert planning (rules §8): which alerts a case has raised by instant `now`, with stable ids.

Every alert is decided from the case's facts as they stood at the alert's own instant, so the
answer for `now` never depends on when it is asked: live (wall clock) and replay (event time)
get the same alerts, and a restart that asks again gets the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from caseflow.domain import asof
from caseflow.domain import deadlines as dl
from caseflow.domain.calendar import HOUR
from caseflow.domain.rules import AlertPolicy, Rules
from caseflow.domain.state import Assignment, CaseState, Supervision

SUPERVISION_DEADLINE = "supervision deadline passed"

__all__ = [
    "SUPERVISION_DEADLINE",
    "Alert",
    "AlertPolicy",
    "alert_id",
    "plan_alerts",
    "plan_with_next",
]


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    type: str  # deadline_warning | overdue | supervision | resolved
    case_id: str
    assignment: int  # seq of the assignment within its case
    unit: str
    level: int  # 0 warning; 1 unit; 2 leadership + command centre; 3 supervision
    at: int  # the instant the alert is due (event time or deadline arithmetic)
    reason: str = ""  # one of contract.alert.Reason's values
    reminder: int = 0
    detail: str = ""  # what varies (a rate and its target)

    @property
    def recipients(self) -> tuple[str, ...]:
        if self.reason == SUPERVISION_DEADLINE:
            return ("unit", "leadership", "command_centre")
        if self.type == "supervision":
            return ("unit", "command_centre")
        return {0: ("unit",), 1: ("unit",), 2: ("leadership", "command_centre"), 3: ("supervision",)}.get(
            self.level, ("unit",))


def alert_id(kind: str, case_id: str, assignment: str, level: str) -> str:
    digest = hashlib.sha256(f"{kind}|{case_id}|{assignment}|{level}".encode()).hexdigest()
    return digest[:24]


def _alert(kind: str, case: CaseState, a: Assignment, cycle: int, level: int, at: int, reason: str = "",
           reminder: int = 0, tag: str = "") -> Alert:
    key = f"{a.seq}.{cycle}"
    level_key = f"{level}.{reminder}{tag}"
    return Alert(alert_id(kind, case.case_id, key, level_key), kind, case.case_id, a.seq, a.unit, level, at,
                 reason, reminder)


def _cycles(a: Assignment) -> list[tuple[int, int, int]]:
    """(cycle number, start, end) of each dispatch/rework cycle; end is exclusive (or a big number)."""
    starts = [a.dispatched_at] + [at for at, disposed in a.disposals if not disposed]
    ends = [*starts[1:], 2**62]
    return [(i, s, e) for i, (s, e) in enumerate(zip(starts, ends, strict=True))]


def _open_at(a: Assignment, t: int) -> bool:
    return a.dispatched_at <= t and not asof.returned_by(a, t) and asof.disposed_at(a, t) is None


def _allowance_at(a: Assignment, start: int, t: int, rules: Rules) -> int:
    used = dl.measure(a.kind, start, asof.deadline_at(a, t), rules.calendar)
    for s, e in a.suspensions:
        if e is not None and start <= s and e <= t:
            used -= dl.measure(a.kind, s, e, rules.calendar)
    return max(0, used)


def _shift(kind: str, t: int, amount: int, rules: Rules) -> int:
    return t + amount if kind == "calendar" else rules.calendar.add_working(t, amount)


def plan_alerts(case: CaseState, now: int, rules: Rules, policy: AlertPolicy | None = None) -> list[Alert]:
    """Every alert of this case due at or before `now` (sorted by instant, then id); `policy` defaults
    to the rules' own."""
    policy = policy or rules.alerts
    alerts: list[Alert] = []
    for a in case.assignments:
        for cycle, start, end in _cycles(a):
            alerts += _assignment_alerts(case, a, cycle, start, min(end, now + 1), rules, policy)
        reworks = [at for at, disposed in a.disposals if not disposed]
        if len(reworks) >= 2 and reworks[1] <= now:
            alerts.append(_alert("supervision", case, a, 0, 1, reworks[1], "second_rework"))
    for i, order in enumerate(case.supervisions):
        holder = asof.last_assignment_at(case, order.at)
        if order.at <= now and holder is not None:
            alerts.append(_alert("supervision", case, holder, 0, 1, order.at, "supervised", tag=f"-event{i}"))
        alerts += _supervision_overdue(case, order, now)
    return _first_of_each_id(x for x in alerts if x.at <= now)


def _supervision_overdue(case: CaseState, order: Supervision, now: int) -> list[Alert]:
    """A 督办 order's own deadline passed with the case's assignment still open (not disposed, not
    returned, not suspended: as for any deadline): an overdue alert to the unit, its leadership and
    the command centre, then `resolved` when that assignment is disposed, returned or closed. The
    deadline is the instant given; holidays do not move it."""
    t = order.deadline_at
    if t is None or t > now or t < order.at:
        return []
    holder = asof.last_assignment_at(case, t)
    if holder is None or not _open_at(holder, t) or asof.suspended_at(holder, t) or asof.closed_by(case, t):
        return []
    key = f"supervision@{order.at}:{order.reason}"
    out = [Alert(alert_id("overdue", case.case_id, key, "deadline"), "overdue", case.case_id, holder.seq,
                 holder.unit, 2, t, SUPERVISION_DEADLINE)]
    cycle, start, end = next(c for c in _cycles(holder) if c[1] <= t < c[2])
    ended = _resolution_instant(case, holder, start, end)
    if ended is not None:
        out.append(_alert("resolved", case, holder, cycle, 0, ended, "disposed, returned or closed"))
    return out


def _first_of_each_id(alerts: Iterable[Alert]) -> list[Alert]:
    """Sorted by instant, then id, each id once: its earliest instance. An id names (type, case,
    assignment and cycle, level, reminder), so a level reached again under a later deadline (a
    suspension resumed, an extension) is the alert the unit already had, not a second one."""
    seen: set[str] = set()
    out = []
    for alert in sorted(alerts, key=lambda x: (x.at, x.alert_id)):
        if alert.alert_id not in seen:
            seen.add(alert.alert_id)
            out.append(alert)
    return out


def _assignment_alerts(case: CaseState, a: Assignment, cycle: int, start: int, stop: int, rules: Rules,
                       policy: AlertPolicy) -> list[Alert]:
    """Warning, overdue levels with reminders, automatic supervision and resolution, within [start, stop)."""
    out: list[Alert] = []
    entries = [(since, d) for since, d in a.deadlines if start <= since < stop]
    if not entries:
        return out
    raised = False
    for i, (since, deadline) in enumerate(entries):
        until = entries[i + 1][0] if i + 1 < len(entries) else stop
        allowance = _allowance_at(a, start, since, rules)
        rest = round(allowance * (1 - policy.warning_fraction))
        warn = max(since, deadline - rest if a.kind == "calendar" else rules.calendar.subtract_working(deadline, rest))
        first_warning = not any(x.type == "deadline_warning" for x in out)
        if first_warning and warn < min(until, deadline) and _open_at(a, warn) and not asof.suspended_at(a, warn):
            out.append(_alert("deadline_warning", case, a, cycle, 0, warn, "80% of the limit elapsed"))
            raised = True
        levels = [(1, deadline), (2, _shift(a.kind, deadline, allowance // 2, rules)),
                  (3, _shift(a.kind, deadline, allowance, rules))]
        for n, (level, begins) in enumerate(levels):
            level_end = levels[n + 1][1] if n + 1 < len(levels) else 2**62
            t = max(begins, since)
            for reminder in range(policy.max_reminders):
                # A level's first alert goes out even when the next level starts at the same instant
                # (a zero allowance): the unit must hear of it; only its reminders stop there.
                if t >= until or (reminder > 0 and t >= level_end):
                    break
                if not _open_at(a, t) or asof.suspended_at(a, t) or asof.deadline_at(a, t) > t:
                    break
                out.append(_alert("overdue", case, a, cycle, level, t, f"overdue level {level}", reminder))
                raised = True
                if level == 3 and reminder == 0:
                    out.append(_alert("supervision", case, a, cycle, 3, t, "overdue by the whole limit"))
                t += policy.repeat_interval
    if raised:
        ended = _resolution_instant(case, a, start, stop)
        if ended is not None:
            out.append(_alert("resolved", case, a, cycle, 0, ended, "disposed, returned or closed"))
    return out


def _resolution_instant(case: CaseState, a: Assignment, start: int, stop: int) -> int | None:
    candidates = [at for at, disposed in a.disposals if disposed and start <= at < stop]
    if a.returned_at is not None and start <= a.returned_at < stop:
        candidates.append(a.returned_at)
    if case.closed_at is not None and start <= case.closed_at < stop:
        candidates.append(case.closed_at)
    return min(candidates) if candidates else None


def plan_with_next(case: CaseState, now: int, rules: Rules, policy: AlertPolicy | None = None,
                   horizon: int = 7 * 24 * HOUR) -> tuple[list[Alert], int | None]:
    """The alerts due by `now`, and when to plan this case again — from one planning pass.

    Next: the first alert after `now`, or `now + horizon` while any assignment is open (limits can be
    long), or None once nothing can fire any more. Planning further ahead and cutting at `now` gives
    exactly the alerts due by `now`, since every alert depends only on facts up to its own instant."""
    ahead = plan_alerts(case, now + horizon, rules, policy)
    due = [a for a in ahead if a.at <= now]
    upcoming = [a.at for a in ahead if a.at > now]
    if upcoming:
        return due, min(upcoming)
    return due, (now + horizon if any(a.is_open for a in case.assignments) else None)
