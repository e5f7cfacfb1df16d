"""A period's assignments that cost a unit points, one line each: those that were (or are) overdue and
those reworked, as of the period's as-of (the report's case sheets, the exemption candidates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from caseflow.domain import asof
from caseflow.domain.indicators import Period
from caseflow.domain.state import CaseState


@dataclass(frozen=True)
class CaseLine:
    unit: str
    case_id: str
    assignment: int
    dispatched_at: int
    deadline: int
    disposed_at: int | None
    status: str  # 超期未处置 overdue open | 超期处置 disposed late | 按期处置 on time | 在办 pending
    reworks: int



def case_lines(cases: Sequence[CaseState], period: Period) -> tuple[list[CaseLine], list[CaseLine]]:
    """The month's assignments that were (or are) overdue, and those reworked, as of the period's as-of."""
    t = period.as_of
    overdue: list[CaseLine] = []
    reworked: list[CaseLine] = []
    for case in cases:
        for a in case.assignments:
            if not period.contains(a.dispatched_at) or asof.returned_by(a, t):
                continue
            deadline, disposed = asof.deadline_at(a, t), asof.disposed_at(a, t)
            late = disposed is not None and disposed > deadline
            open_late = disposed is None and not asof.suspended_at(a, t) and deadline <= t
            status = ("超期处置" if late else "按期处置") if disposed is not None else (
                "超期未处置" if open_late else "在办")
            reworks = sum(1 for at, ok in a.disposals if not ok and at <= t)
            line = CaseLine(a.unit, case.case_id, a.seq, a.dispatched_at, deadline, disposed, status, reworks)
            if late or open_late:
                overdue.append(line)
            if reworks:
                reworked.append(line)
    def order(c: CaseLine) -> tuple[str, int, str]:
        return (c.unit, c.dispatched_at, c.case_id)
    return sorted(overdue, key=order), sorted(reworked, key=order)
