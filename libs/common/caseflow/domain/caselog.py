"""Per-case event log: bounded lateness, and applying events in occurred_at order.

An event more than `rules.lateness` before the case's latest event is refused, so an event that old
can never be re-ordered again: the log keeps only the recent steps (each event with the state after
it) and folds older ones into `base`. A late-but-within-bound event re-folds from the step before it.
The result is the fold of every event in (occurred_at, arrival) order, with far fewer events kept
(a replayed month holds one or two per case instead of all of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from msgspec import Struct

from caseflow.domain.events import CaseEvent
from caseflow.domain.lifecycle import Rejection, decide
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState

Outcome = Literal["applied", "rejected", "too_late"]


class Step(Struct, frozen=True, gc=False):
    event: CaseEvent
    state: CaseState | None  # the case after this event (unchanged when it was rejected)
    rejection: Rejection | None = None


class CaseLog(Struct, frozen=True, gc=False):
    """One case: its settled fold (`base`), the recent steps in (occurred_at, arrival) order, and rejections."""

    steps: tuple[Step, ...] = ()
    base: CaseState | None = None
    base_rejected: tuple[Rejection, ...] = ()  # rejections among the settled events, in fold order
    late: tuple[Rejection, ...] = ()  # events past the lateness bound, never applied

    @property
    def state(self) -> CaseState | None:
        return self.steps[-1].state if self.steps else self.base

    @property
    def watermark(self) -> int | None:
        return self.steps[-1].event.at if self.steps else None

    @property
    def rejected(self) -> tuple[Rejection, ...]:
        """Rejections of the fold, in fold order."""
        return self.base_rejected + tuple(s.rejection for s in self.steps if s.rejection is not None)

    @property
    def all_rejected(self) -> tuple[Rejection, ...]:
        return self.rejected + self.late


def _step(state: CaseState | None, event: CaseEvent, rules: Rules) -> Step:
    decision = decide(state, event, rules)
    if isinstance(decision, Rejection):
        return Step(event, state, decision)
    return Step(event, decision)


def record(log: CaseLog, event: CaseEvent, rules: Rules) -> tuple[CaseLog, Outcome]:
    """Add one (non-duplicate) event."""
    steps = log.steps
    mark = steps[-1].event.at if steps else None
    outcome: Outcome
    if mark is not None and event.at < mark - rules.lateness:
        late = Rejection(
            event.event_id, event.case_id, event.at, "too_late",
            f"occurred more than {rules.lateness // 60000} minutes before the case's latest event",
        )
        return CaseLog(steps, log.base, log.base_rejected, (*log.late, late)), "too_late"
    if mark is None or event.at >= mark:
        step = _step(steps[-1].state if steps else log.base, event, rules)
        return _with_steps(log, (*steps, step), rules), "applied" if step.rejection is None else "rejected"
    at = 0
    while (steps[at].event.at, steps[at].event.seq) <= (event.at, event.seq):
        at += 1
    state = steps[at - 1].state if at else log.base
    refolded = list(steps[:at])
    for later in (event, *(s.event for s in steps[at:])):
        step = _step(state, later, rules)
        refolded.append(step)
        state = step.state
    outcome = "applied" if refolded[at].rejection is None else "rejected"
    return CaseLog(tuple(refolded), log.base, log.base_rejected, log.late), outcome


def record_all(log: CaseLog, events: Iterable[CaseEvent], rules: Rules) -> CaseLog:
    """`record` of each event in turn: the same log at the end. Events in occurred_at order are appended
    to a list and settled once, at the end (record settles and copies the log at every one)."""
    steps = list(log.steps)
    for event in events:
        if steps and event.at < steps[-1].event.at:  # late (or too late): record re-folds it
            log = record(CaseLog(tuple(steps), log.base, log.base_rejected, log.late), event, rules)[0]
            steps = list(log.steps)
        else:
            steps.append(_step(steps[-1].state if steps else log.base, event, rules))
    return _with_steps(log, tuple(steps), rules) if steps else log


def _with_steps(log: CaseLog, steps: tuple[Step, ...], rules: Rules) -> CaseLog:
    """`log` with `steps` (its own and new ones in order after them), those older than the lateness bound
    of the latest settled into the base."""
    horizon = steps[-1].event.at - rules.lateness
    if steps[0].event.at < horizon:
        return _settled(log, steps, horizon)
    return CaseLog(steps, log.base, log.base_rejected, log.late)


def _settled(log: CaseLog, steps: tuple[Step, ...], horizon: int) -> CaseLog:
    """Fold the steps before `horizon` (at least the first) into the base: no event can be placed before
    them any more."""
    keep = 1
    while steps[keep].event.at < horizon:
        keep += 1
    base_rejected = log.base_rejected
    for gone in steps[:keep]:
        if gone.rejection is not None:
            base_rejected = (*base_rejected, gone.rejection)
    return CaseLog(steps[keep:], steps[keep - 1].state, base_rejected, log.late)
