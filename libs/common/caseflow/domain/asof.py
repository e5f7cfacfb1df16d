"""Reading an assignment's or case's facts as they stood at instant T (the as-of evaluation)."""

from __future__ import annotations

from caseflow.domain.state import Assignment, CaseState


def deadline_at(a: Assignment, t: int) -> int:
    deadline = a.deadlines[0][1]
    for since, value in a.deadlines:
        if since > t:
            break
        deadline = value
    return deadline


def disposed_at(a: Assignment, t: int) -> int | None:
    """The last disposal up to t, when the last of disposed/reworked up to t is a disposal."""
    last: tuple[int, bool] | None = None
    for entry in a.disposals:
        if entry[0] > t:
            break
        last = entry
    return last[0] if last is not None and last[1] else None


# The `if not ...` guards skip building a generator for the empty histories most assignments have.


def reworked_by(a: Assignment, t: int) -> bool:
    if len(a.disposals) < 2:  # a rework is always preceded by a disposal
        return False
    return any(not disposed and at <= t for at, disposed in a.disposals)


def suspended_at(a: Assignment, t: int) -> bool:
    if not a.suspensions:
        return False
    return any(start <= t and (end is None or end > t) for start, end in a.suspensions)


def ever_suspended_by(a: Assignment, t: int) -> bool:
    if not a.suspensions:
        return False
    return any(start <= t for start, _ in a.suspensions)


def extended_by(a: Assignment, t: int) -> bool:
    """A non-engineering extension (延期) up to t."""
    if not a.extensions:
        return False
    return any(at <= t and not engineering for at, engineering in a.extensions)


def returned_by(a: Assignment, t: int) -> bool:
    return a.returned_at is not None and a.returned_at <= t


def closed_by(case: CaseState, t: int) -> bool:
    return case.closed_at is not None and case.closed_at <= t


def filed_by(case: CaseState, t: int) -> bool:
    """Filed by t and not invalidated by t."""
    return (
        case.filed_at is not None
        and case.filed_at <= t
        and (case.invalidated_at is None or case.invalidated_at > t)
    )


def supervised_by(case: CaseState, t: int) -> bool:
    if not case.supervisions:
        return False
    return any(order.at <= t for order in case.supervisions)


def supervision_reasons_by(case: CaseState, t: int) -> set[str]:
    """The reasons of the case's 督办 orders up to t (a reason given twice counts once)."""
    return {order.reason for order in case.supervisions if order.at <= t}


def last_assignment_at(case: CaseState, t: int) -> Assignment | None:
    last = None
    for a in case.assignments:
        if a.dispatched_at > t:
            break
        last = a
    return last
