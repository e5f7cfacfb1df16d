"""Events about the case's current assignment (rules §2 and §3): returned, extended, suspended, resumed,
disposed, reworked — each checks that the named unit holds an assignment in the right condition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec.structs import replace

from caseflow.domain import deadlines as dl
from caseflow.domain.events import (
    AssignmentResumed,
    AssignmentReturned,
    AssignmentSuspended,
    CaseDisposed,
    CaseReworked,
    DeadlineExtended,
)
from caseflow.domain.rejection import Rejection, reject
from caseflow.domain.rules import Rules
from caseflow.domain.state import Assignment, CaseState

Decision = CaseState | Rejection


def _held(s: CaseState, e: Any) -> Assignment | Rejection:
    current = s.current
    if current is None:
        return reject(e, "no_assignment", "the case has no current assignment")
    if current.unit != e.unit:
        return reject(e, "wrong_unit", f"unit {e.unit!r} does not hold the case (held by {current.unit!r})")
    return current


def _with_current(s: CaseState, a: Assignment) -> CaseState:
    return replace(s, assignments=(*s.assignments[:-1], a))


def _open_held(s: CaseState, e: Any) -> Assignment | Rejection:
    a = _held(s, e)
    if isinstance(a, Assignment) and not a.is_open:
        return reject(e, "assignment_not_open", "the assignment is already disposed")
    return a


def on_returned(s: CaseState, e: AssignmentReturned, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    return _with_current(s, replace(a, returned_at=e.at))


def on_extended(s: CaseState, e: DeadlineExtended, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    new_deadline = dl.extended_deadline(a, e.deadline_at, e.extra, rules.calendar)
    engineering = e.engineering or (s.major, s.minor) in rules.engineering_codes
    return _with_current(
        s,
        replace(
            a,
            allowance=a.allowance + dl.measure(a.kind, a.deadline, new_deadline, rules.calendar),
            deadlines=(*a.deadlines, (e.at, new_deadline)),
            extensions=(*a.extensions, (e.at, engineering)),
        ),
    )


def on_suspended(s: CaseState, e: AssignmentSuspended, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    if a.is_suspended:
        return reject(e, "already_suspended", "the assignment is already suspended (挂账)")
    return _with_current(s, replace(a, suspensions=(*a.suspensions, (e.at, None))))


def on_resumed(s: CaseState, e: AssignmentResumed, rules: Rules) -> Decision:
    a = _held(s, e)
    if isinstance(a, Rejection):
        return a
    if not a.is_suspended:
        return reject(e, "not_suspended", "`resumed` of an assignment that is not suspended")
    started = a.suspensions[-1][0]
    new_deadline = dl.resumed_deadline(a, started, e.at, rules.calendar)
    return _with_current(
        s,
        replace(
            a,
            suspensions=(*a.suspensions[:-1], (started, e.at)),
            deadlines=(*a.deadlines, (e.at, new_deadline)),
        ),
    )


def on_disposed(s: CaseState, e: CaseDisposed, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    if a.is_suspended:
        return reject(e, "suspended", "`disposed` while the assignment is suspended")
    return _with_current(s, replace(a, disposals=(*a.disposals, (e.at, True))))


def on_reworked(s: CaseState, e: CaseReworked, rules: Rules) -> Decision:
    a = _held(s, e)
    if isinstance(a, Rejection):
        return a
    if not a.is_disposed:
        return reject(e, "not_disposed", "`reworked` of an assignment that is not disposed")
    if s.closed_at is not None:
        return reject(e, "case_closed", "`reworked` after the case was closed")
    fallback = (a.original_kind, a.original_limit)
    kind, allowance, deadline = dl.start_cycle(
        e.at, e.deadline_at, e.time_limit, s.urgency == "urgent", fallback, rules.calendar
    )
    return _with_current(
        s,
        replace(
            a,
            kind=kind,
            cycle_start=e.at,
            allowance=allowance,
            deadlines=(*a.deadlines, (e.at, deadline)),
            disposals=(*a.disposals, (e.at, False)),
        ),
    )


ASSIGNMENT_HANDLERS: dict[type, Callable[[CaseState, Any, Rules], Decision]] = {
    AssignmentReturned: on_returned,
    DeadlineExtended: on_extended,
    AssignmentSuspended: on_suspended,
    AssignmentResumed: on_resumed,
    CaseDisposed: on_disposed,
    CaseReworked: on_reworked,
}
