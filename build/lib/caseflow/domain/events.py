"""Domain events: what the dispatch platform says happened to a case (past tense), decoupled from the wire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DurationUnit = Literal["working_hours", "working_days", "hours"]


@dataclass(frozen=True, slots=True)
class Duration:
    value: float
    unit: DurationUnit


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """Common envelope. `at` is occurred_at in epoch ms; `seq` is the arrival order."""

    event_id: str
    case_id: str
    at: int
    seq: int


@dataclass(frozen=True, slots=True)
class CaseReported(CaseEvent):
    source: str
    category: str
    major: str
    minor: str
    region: str
    grid: str
    road_grade: str = "secondary"


@dataclass(frozen=True, slots=True)
class CaseVerified(CaseEvent):
    pass


@dataclass(frozen=True, slots=True)
class CaseFiled(CaseEvent):
    urgency: str = "normal"
    major: str | None = None
    minor: str | None = None


@dataclass(frozen=True, slots=True)
class CaseInvalidated(CaseEvent):
    pass


@dataclass(frozen=True, slots=True)
class CaseDispatched(CaseEvent):
    unit: str
    deadline_at: int | None = None
    time_limit: Duration | None = None


@dataclass(frozen=True, slots=True)
class AssignmentReturned(CaseEvent):
    unit: str


@dataclass(frozen=True, slots=True)
class DeadlineExtended(CaseEvent):
    unit: str
    deadline_at: int | None = None
    extra: Duration | None = None
    engineering: bool = False


@dataclass(frozen=True, slots=True)
class AssignmentSuspended(CaseEvent):
    unit: str


@dataclass(frozen=True, slots=True)
class AssignmentResumed(CaseEvent):
    unit: str


@dataclass(frozen=True, slots=True)
class CaseDisposed(CaseEvent):
    unit: str


@dataclass(frozen=True, slots=True)
class CaseReworked(CaseEvent):
    unit: str
    deadline_at: int | None = None
    time_limit: Duration | None = None


@dataclass(frozen=True, slots=True)
class CaseClosed(CaseEvent):
    pass


@dataclass(frozen=True, slots=True)
class CaseSupervised(CaseEvent):
    reason: str
    deadline_at: int | None = None


@dataclass(frozen=True, slots=True)
class CaseVisited(CaseEvent):
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
