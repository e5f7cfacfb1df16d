"""The case state machine (rules §2): decide(state, event) -> new state, or a rejection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec.structs import replace

from caseflow.domain import deadlines as dl
from caseflow.domain.assignment_events import ASSIGNMENT_HANDLERS
from caseflow.domain.events import (
    CaseClosed,
    CaseDispatched,
    CaseEvent,
    CaseFiled,
    CaseInvalidated,
    CaseReported,
    CaseSupervised,
    CaseVerified,
    CaseVisited,
)
from caseflow.domain.rejection import Rejection, reject
from caseflow.domain.rules import Rules
from caseflow.domain.state import Assignment, CaseState, Supervision, Visit

Decision = CaseState | Rejection


def decide(state: CaseState | None, event: CaseEvent, rules: Rules) -> Decision:
    """Apply one event to a case. Pure: same inputs, same answer."""
    if state is None:
        if isinstance(event, CaseReported):
            return _on_reported(event)
        return reject(event, "not_reported", "the case has no `reported` event")
    if isinstance(event, CaseReported):
        return reject(event, "already_reported", "a second `reported` for this case")
    if state.invalidated_at is not None:
        return reject(event, "case_invalidated", "the case was invalidated (作废)")
    handler = _HANDLERS[type(event)]
    return handler(state, event, rules)


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
        return reject(e, "case_closed", "dispatch after the case was closed")
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


def _on_closed(s: CaseState, e: CaseClosed, rules: Rules) -> Decision:
    if s.closed_at is not None:
        return reject(e, "already_closed", "a second `closed` for this case")
    current = s.current
    if current is not None and current.is_open:
        return reject(e, "assignment_open", f"closed while {current.unit!r}'s assignment is not disposed")
    return replace(s, closed_at=e.at)


def _on_supervised(s: CaseState, e: CaseSupervised, rules: Rules) -> Decision:
    return replace(s, supervisions=(*s.supervisions, Supervision(e.at, e.reason, e.deadline_at)))


def _on_visited(s: CaseState, e: CaseVisited, rules: Rules) -> Decision:
    return replace(s, visits=(*s.visits, Visit(e.at, e.result, e.valid)))


_HANDLERS: dict[type, Callable[[CaseState, Any, Rules], Decision]] = {
    CaseVerified: _on_verified,
    CaseFiled: _on_filed,
    CaseInvalidated: _on_invalidated,
    CaseDispatched: _on_dispatched,
    **ASSIGNMENT_HANDLERS,
    CaseClosed: _on_closed,
    CaseSupervised: _on_supervised,
    CaseVisited: _on_visited,
}
