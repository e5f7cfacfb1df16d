"""Per-case event log: duplicates, bounded lateness, and applying events in occurred_at order."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from caseflow.domain.events import CaseEvent
from caseflow.domain.lifecycle import Rejection, decide
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState

Outcome = Literal["applied", "rejected", "too_late"]


class CaseLog(Struct, frozen=True, gc=False):
    """Every non-duplicate event of one case, sorted by (occurred_at, arrival), and their fold."""

    events: tuple[CaseEvent, ...] = ()
    state: CaseState | None = None
    rejected: tuple[Rejection, ...] = ()  # rejections of the fold, in fold order
    late: tuple[Rejection, ...] = ()  # events past the lateness bound, never applied

    @property
    def watermark(self) -> int | None:
        return self.events[-1].at if self.events else None

    def knows(self, event_id: str) -> bool:
        return any(e.event_id == event_id for e in self.events) or any(
            r.event_id == event_id for r in self.late
        )

    @property
    def all_rejected(self) -> tuple[Rejection, ...]:
        return self.rejected + self.late


def record(log: CaseLog, event: CaseEvent, rules: Rules) -> tuple[CaseLog, Outcome]:
    """Add one (non-duplicate) event. Late-but-within-bound events re-fold the case in time order."""
    mark = log.watermark
    if mark is not None and event.at < mark - rules.lateness:
        late = Rejection(
            event.event_id, event.case_id, event.at, "too_late",
            f"occurred more than {rules.lateness // 60000} minutes before the case's latest event",
        )
        return CaseLog(log.events, log.state, log.rejected, (*log.late, late)), "too_late"
    if mark is None or event.at >= mark:
        decision = decide(log.state, event, rules)
        events = (*log.events, event)
        if isinstance(decision, Rejection):
            return CaseLog(events, log.state, (*log.rejected, decision), log.late), "rejected"
        return CaseLog(events, decision, log.rejected, log.late), "applied"
    events = tuple(sorted((*log.events, event), key=lambda e: (e.at, e.seq)))
    state, rejected = fold(events, rules)
    outcome: Outcome = "rejected" if any(r.event_id == event.event_id for r in rejected) else "applied"
    return CaseLog(events, state, rejected, log.late), outcome


def fold(events: tuple[CaseEvent, ...], rules: Rules) -> tuple[CaseState | None, tuple[Rejection, ...]]:
    state: CaseState | None = None
    rejected: list[Rejection] = []
    for event in events:
        decision = decide(state, event, rules)
        if isinstance(decision, Rejection):
            rejected.append(decision)
        else:
            state = decision
    return state, tuple(rejected)
