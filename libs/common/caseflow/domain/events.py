"""Domain events: what the dispatch platform says happened to a case (past tense), decoupled from the wire."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

DurationUnit = Literal["working_hours", "working_days", "hours"]


class Duration(Struct, frozen=True, gc=False):
    value: float
    unit: DurationUnit


class CaseEvent(Struct, frozen=True, gc=False):
    """Common envelope. `at` is occurred_at in epoch ms; `seq` is the arrival order."""

    event_id: str
    case_id: str
    at: int
    seq: int


class CaseReported(CaseEvent, frozen=True, gc=False):
    source: str
    category: str
    major: str
    minor: str
    region: str
    grid: str
    road_grade: str = "secondary"


class CaseVerified(CaseEvent, frozen=True, gc=False):
    pass


class CaseFiled(CaseEvent, frozen=True, gc=False):
    urgency: str = "normal"
    major: str | None = None
    minor: str | None = None


class CaseInvalidated(CaseEvent, frozen=True, gc=False):
    pass


class CaseDispatched(CaseEvent, frozen=True, gc=False):
    unit: str
    deadline_at: int | None = None
    time_limit: Duration | None = None


class AssignmentReturned(CaseEvent, frozen=True, gc=False):
    unit: str


class DeadlineExtended(CaseEvent, frozen=True, gc=False):
    unit: str
    deadline_at: int | None = None
    extra: Duration | None = None
    engineering: bool = False


class AssignmentSuspended(CaseEvent, frozen=True, gc=False):
    unit: str


class AssignmentResumed(CaseEvent, frozen=True, gc=False):
    unit: str


class CaseDisposed(CaseEvent, frozen=True, gc=False):
    unit: str


class CaseReworked(CaseEvent, frozen=True, gc=False):
    unit: str
    deadline_at: int | None = None
    time_limit: Duration | None = None


class CaseClosed(CaseEvent, frozen=True, gc=False):
    pass


class CaseSupervised(CaseEvent, frozen=True, gc=False):
    reason: str
    deadline_at: int | None = None


class CaseVisited(CaseEvent, frozen=True, gc=False):
    result: str
    valid: bool = True


ASSIGNMENT_EVENTS = (
    AssignmentReturned,
    DeadlineExtended,
    AssignmentSuspended,
    AssignmentResumed,
    CaseDisposed,
    CaseReworked,
)
