"""Case and assignment state: frozen records that keep enough history to evaluate any as-of instant."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

LimitKind = Literal["working", "calendar"]


class Assignment(Struct, frozen=True, gc=False):
    """One dispatch of one case to one unit (派遣).

    Histories are (instant, value) pairs in the order applied, so the value in force at
    any instant T is the last pair whose instant is <= T.
    """

    seq: int
    unit: str
    dispatched_at: int
    kind: LimitKind
    original_kind: LimitKind
    original_limit: int  # the dispatch's limit in ms of its kind (rework default)
    cycle_start: int  # dispatch or latest rework instant
    allowance: int  # current cycle's limit incl. extensions, ms of its kind (traffic light)
    deadlines: tuple[tuple[int, int], ...]  # (from, deadline)
    returned_at: int | None = None
    disposals: tuple[tuple[int, bool], ...] = ()  # (at, True=disposed / False=reworked)
    suspensions: tuple[tuple[int, int | None], ...] = ()  # (suspended_at, resumed_at)
    extensions: tuple[tuple[int, bool], ...] = ()  # (at, engineering)

    @property
    def deadline(self) -> int:
        return self.deadlines[-1][1]

    @property
    def is_disposed(self) -> bool:
        return bool(self.disposals) and self.disposals[-1][1]

    @property
    def is_suspended(self) -> bool:
        return bool(self.suspensions) and self.suspensions[-1][1] is None

    @property
    def is_open(self) -> bool:
        return self.returned_at is None and not self.is_disposed

    @property
    def reworks(self) -> int:
        return sum(1 for _, disposed in self.disposals if not disposed)

    def key(self, case_id: str) -> str:
        return f"{case_id}#{self.seq}"


class Visit(Struct, frozen=True, gc=False):
    at: int
    result: str
    valid: bool


class Supervision(Struct, frozen=True, gc=False):
    """A 督办 order: when, why (contract reasons), and the instant it must be disposed by, if given."""

    at: int
    reason: str = "other"
    deadline_at: int | None = None


class CaseState(Struct, frozen=True, gc=False):
    case_id: str
    reported_at: int
    source: str
    category: str
    major: str
    minor: str
    region: str
    grid: str
    road_grade: str
    urgency: str = "normal"
    filed_at: int | None = None
    invalidated_at: int | None = None
    closed_at: int | None = None
    assignments: tuple[Assignment, ...] = ()
    supervisions: tuple[Supervision, ...] = ()
    visits: tuple[Visit, ...] = ()

    @property
    def current(self) -> Assignment | None:
        """The assignment that holds the case: the latest one, unless it was returned."""
        if self.assignments and self.assignments[-1].returned_at is None:
            return self.assignments[-1]
        return None
