"""The case state machine (SPEC section 2): decide(state, event) -> new state, or a rejection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from caseflow.domain import deadlines as dl
from caseflow.domain.events import (
    AssignmentResumed,
    AssignmentReturned,
    AssignmentSuspended,
    CaseClosed,
    CaseDispatched,
    CaseDisposed,
    CaseEvent,
    CaseFiled,
    CaseInvalidated,
    CaseReported,
    CaseReworked,
    CaseSupervised,
    CaseVerified,
    CaseVisited,
    DeadlineExtended,
)
from caseflow.domain.rules import Rules
from caseflow.domain.state import Assignment, CaseState, Visit


@dataclass(frozen=True, slots=True)
class Rejection:
    event_id: str
    case_id: str
    at: int
    reason: str
    detail: str = ""


Decision = CaseState | Rejection


def decide(state: CaseState | None, event: CaseEvent, rules: Rules) -> Decision:
    """Apply one event to a case. Pure: same inputs, same answer."""
    if state is None:
        if isinstance(event, CaseReported):
            return _on_reported(event)
        return _reject(event, "not_reported", "the case has no `reported` event")
    if isinstance(event, CaseReported):
        return _reject(event, "already_reported", "a second `reported` for this case")
    if state.invalidated_at is not None:
        return _reject(event, "case_invalidated", "the case was invalidated (作废)")
    handler = _HANDLERS[type(event)]
    return handler(state, event, rules)


def _reject(event: CaseEvent, reason: str, detail: str) -> Rejection:
    return Rejection(event.event_id, event.case_id, event.at, reason, detail)


def _on_reported(e: CaseReported) -> CaseState:
    return CaseState(
        case_id=e.case_id,
        reported_at=e.at,
        source=e.source,
        category=e.category,
        major=e.major,
        minor=e.minor,
        region=e.region,
        grid=e.grid,
        road_grade=e.road_grade,
    )


def _on_verified(s: CaseState, e: CaseVerified, rules: Rules) -> Decision:
    return s


def _on_filed(s: CaseState, e: CaseFiled, rules: Rules) -> Decision:
    return replace(
        s,
        filed_at=s.filed_at if s.filed_at is not None else e.at,
        urgency=e.urgency,
        major=e.major or s.major,
        minor=e.minor or s.minor,
    )


def _on_invalidated(s: CaseState, e: CaseInvalidated, rules: Rules) -> Decision:
    return replace(s, invalidated_at=e.at)


def _on_dispatched(s: CaseState, e: CaseDispatched, rules: Rules) -> Decision:
    if s.closed_at is not None:
        return _reject(e, "case_closed", "dispatch after the case was closed")
    assignments = list(s.assignments)
    current = s.current
    if current is not None and current.is_open:
        assignments[-1] = replace(current, returned_at=e.at)  # 改派: reassignment ends it as returned
    urgent = s.urgency == "urgent"
    fallback = dl.limit_of(rules.time_limits.limit_for(s.major, s.minor, s.urgency), rules.calendar)
    kind, allowance, deadline = dl.start_cycle(
        e.at, e.deadline_at, e.time_limit, urgent, fallback, rules.calendar
    )
    assignments.append(
        Assignment(
            seq=len(assignments),
            unit=e.unit,
            dispatched_at=e.at,
            kind=kind,
            original_kind=kind,
            original_limit=allowance,
            cycle_start=e.at,
            allowance=allowance,
            deadlines=((e.at, deadline),),
        )
    )
    return replace(s, assignments=tuple(assignments))


def _held(s: CaseState, e: Any) -> Assignment | Rejection:
    current = s.current
    if current is None:
        return _reject(e, "no_assignment", "the case has no current assignment")
    if current.unit != e.unit:
        return _reject(e, "wrong_unit", f"unit {e.unit!r} does not hold the case (held by {current.unit!r})")
    return current


def _with_current(s: CaseState, a: Assignment) -> CaseState:
    return replace(s, assignments=(*s.assignments[:-1], a))


def _open_held(s: CaseState, e: Any) -> Assignment | Rejection:
    a = _held(s, e)
    if isinstance(a, Assignment) and not a.is_open:
        return _reject(e, "assignment_not_open", "the assignment is already disposed")
    return a


def _on_returned(s: CaseState, e: AssignmentReturned, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    return _with_current(s, replace(a, returned_at=e.at))


def _on_extended(s: CaseState, e: DeadlineExtended, rules: Rules) -> Decision:
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


def _on_suspended(s: CaseState, e: AssignmentSuspended, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    if a.is_suspended:
        return _reject(e, "already_suspended", "the assignment is already suspended (挂账)")
    return _with_current(s, replace(a, suspensions=(*a.suspensions, (e.at, None))))


def _on_resumed(s: CaseState, e: AssignmentResumed, rules: Rules) -> Decision:
    a = _held(s, e)
    if isinstance(a, Rejection):
        return a
    if not a.is_suspended:
        return _reject(e, "not_suspended", "`resumed` of an assignment that is not suspended")
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


def _on_disposed(s: CaseState, e: CaseDisposed, rules: Rules) -> Decision:
    a = _open_held(s, e)
    if isinstance(a, Rejection):
        return a
    if a.is_suspended:
        return _reject(e, "suspended", "`disposed` while the assignment is suspended")
    return _with_current(s, replace(a, disposals=(*a.disposals, (e.at, True))))


def _on_reworked(s: CaseState, e: CaseReworked, rules: Rules) -> Decision:
    a = _held(s, e)
    if isinstance(a, Rejection):
        return a
    if not a.is_disposed:
        return _reject(e, "not_disposed", "`reworked` of an assignment that is not disposed")
    if s.closed_at is not None:
        return _reject(e, "case_closed", "`reworked` after the case was closed")
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


def _on_closed(s: CaseState, e: CaseClosed, rules: Rules) -> Decision:
    if s.closed_at is not None:
        return _reject(e, "already_closed", "a second `closed` for this case")
    current = s.current
    if current is not None and current.is_open:
        return _reject(e, "assignment_open", f"closed while {current.unit!r}'s assignment is not disposed")
    return replace(s, closed_at=e.at)


def _on_supervised(s: CaseState, e: CaseSupervised, rules: Rules) -> Decision:
    return replace(s, supervisions=(*s.supervisions, e.at))


def _on_visited(s: CaseState, e: CaseVisited, rules: Rules) -> Decision:
    return replace(s, visits=(*s.visits, Visit(e.at, e.result, e.valid)))


_HANDLERS: dict[type, Callable[[CaseState, Any, Rules], Decision]] = {
    CaseVerified: _on_verified,
    CaseFiled: _on_filed,
    CaseInvalidated: _on_invalidated,
    CaseDispatched: _on_dispatched,
    AssignmentReturned: _on_returned,
    DeadlineExtended: _on_extended,
    AssignmentSuspended: _on_suspended,
    AssignmentResumed: _on_resumed,
    CaseDisposed: _on_disposed,
    CaseReworked: _on_reworked,
    CaseClosed: _on_closed,
    CaseSupervised: _on_supervised,
    CaseVisited: _on_visited,
}
