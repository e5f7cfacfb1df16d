"""What the history says about each assignment: how much of its limit it used before it was disposed (or,
still open, how much so far), in the limit's own time as the deadline rules measure it (working time for a
working limit, suspensions not counted, extensions in the allowance)."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

from caseflow.domain import asof
from caseflow.domain.calendar import WorkingCalendar
from caseflow.domain.deadlines import elapsed
from caseflow.domain.state import CaseState


class Kind(Struct, frozen=True):
    """The kind of case the rules give limits by: category, major, minor and urgency."""

    category: str
    major: str
    minor: str
    urgency: str


class Sample(Struct, frozen=True):
    """One assignment's current cycle as of an instant: `used` of its `allowance` (ms of its limit's
    `clock`, working or calendar time); `disposed`: it was disposed when it had used that much (else it is
    still open: censored there)."""

    case_id: str
    seq: int
    unit: str
    kind: Kind
    clock: str
    used: int
    allowance: int
    disposed: bool

    @property
    def share(self) -> float:
        return self.used / self.allowance

    @property
    def late(self) -> bool | None:
        """Disposed after its deadline, or still open past it: True; still open before it: not known."""
        if self.share > 1.0:
            return True
        return False if self.disposed else None


def kind_of(case: CaseState) -> Kind:
    return Kind(case.category, case.major, case.minor, case.urgency)


def samples_of(cases: Iterable[CaseState], t: int, calendar: WorkingCalendar) -> list[Sample]:
    """Every assignment dispatched by `t` that was not returned, from states folded up to `t`."""
    out: list[Sample] = []
    for case in cases:
        kind = kind_of(case)
        for a in case.assignments:
            if a.dispatched_at > t or asof.returned_by(a, t) or a.allowance <= 0:
                continue
            disposed = asof.disposed_at(a, t)
            until = t if disposed is None else disposed
            out.append(Sample(case.case_id, a.seq, a.unit, kind, a.kind, elapsed(a, until, calendar), a.allowance,
                              disposed is not None))
    return out
