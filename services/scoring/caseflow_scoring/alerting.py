"""Scoring's deadline clock: plan a case's alerts (the core decides), raise the new ones exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import msgspec

from caseflow.contract.alert import AlertMessage, encode
from caseflow.domain import asof
from caseflow.domain.alerts import SUPERVISION_DEADLINE, Alert, AlertPolicy, plan_with_next
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.infra.metrics import ALERTS_RAISED
from caseflow.instants import iso
from caseflow_scoring.ports import AlertLedger, AlertLedgers

log = logging.getLogger(__name__)


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def alert_message(alert: Alert, details: Mapping[str, object] | None = None) -> bytes:
    """The contract's alert (contract.alert), validated: a domain reason outside `Reason` fails here, in
    the test of every plan, not in notify."""
    return encode(msgspec.convert({
        "alert_id": alert.alert_id, "type": alert.type, "case_id": alert.case_id, "assignment": alert.assignment,
        "unit": alert.unit, "level": alert.level, "due_at": iso(alert.at), "reason": alert.reason,
        "detail": alert.detail, "reminder": alert.reminder, "recipients": list(alert.recipients),
        **(details or {})}, AlertMessage))


def case_details(state: CaseState, alert: Alert, facts: Mapping[str, str] | None) -> dict[str, object]:
    """What the unit reading the alert needs besides the alert itself: the case's facts, and the
    deadline in force at the alert's instant with the kind of time it counts in."""
    details: dict[str, object] = {"case": dict(facts or {})}
    holder = next((a for a in state.assignments if a.seq == alert.assignment), None)
    if alert.reason == SUPERVISION_DEADLINE:  # the 督办 order's own deadline, a wall-clock instant
        details["deadline"], details["limit_kind"], details["deadline_of"] = iso(alert.at), "calendar", "supervision"
    elif holder is not None:
        details["deadline"] = iso(asof.deadline_at(holder, alert.at))
        details["limit_kind"] = holder.kind
    return details


@dataclass(frozen=True)
class AlertTopics:
    """Two lanes to notify: an alert whose instant is more than `catch_up_ms` before it is raised (history
    sent again, scoring catching up) goes on the backlog topic, so a fresh one never waits behind a
    month of them on its way (notify consumes both; issue #34: a fresh overdue waited 9-19 s behind
    the history's alerts on one topic)."""

    fresh: str
    backlog: str
    catch_up_ms: int

    def of(self, alert: Alert, now: int | None) -> str:
        return self.backlog if now is not None and alert.at < now - self.catch_up_ms else self.fresh


def lane(topics: str | AlertTopics, alert: Alert, now: int | None) -> str:
    return topics if isinstance(topics, str) else topics.of(alert, now)


async def raise_alerts(ledger: AlertLedger, alerts: Sequence[Alert], topic: str | AlertTopics,
                       trace_headers: Mapping[str, dict[str, str]] | None = None,
                       details: Mapping[str, Mapping[str, object]] | None = None, now: int | None = None) -> int:
    """Record the alerts not raised before and queue them for Kafka; returns how many were new.
    `details` (by alert id) are added to the alert's message; `now` chooses each one's lane."""
    if not alerts:
        return 0
    extra = details or {}
    bodies = {a.alert_id: alert_message(a, extra.get(a.alert_id)) for a in alerts}
    # One outbox row per id inserted now, even if the caller passed an id twice: the topic carries
    # each alert exactly once.
    fresh = await ledger.record_raised(alerts, bodies)
    new = []
    for a in alerts:
        if a.alert_id in fresh:
            fresh.discard(a.alert_id)
            new.append(a)
    for a in new:
        ALERTS_RAISED.labels(a.type, str(a.level), a.unit).inc()
    headers = trace_headers or {}
    await ledger.enqueue([(lane(topic, a, now), a.unit, bodies[a.alert_id], headers.get(a.case_id, {}))
                          for a in new])
    return len(new)


async def raise_on_cases_changed(ledger: AlertLedger, states: Sequence[CaseState], now: int, rules: Rules,
                                 policy: AlertPolicy, topic: str | AlertTopics,
                                 trace_headers: Mapping[str, dict[str, str]] | None = None,
                                 facts: Mapping[str, Mapping[str, str]] | None = None) -> int:
    """Raise the alerts of these cases due by `now` and not raised before; set each case's next timer.
    In the caller's transaction, so alerts, timers and offsets commit together."""
    plans = [(state, *plan_with_next(state, now, rules, policy)) for state in states]
    known = facts or {}
    details = {a.alert_id: case_details(state, a, known.get(state.case_id)) for state, due, _ in plans for a in due}
    raised = await raise_alerts(ledger, [a for _, due, _ in plans for a in due], topic, trace_headers, details, now)
    await ledger.set_timers([(state.case_id, following) for state, _, following in plans])
    return raised


async def schedule_on_cases_changed(ledger: AlertLedger, states: Sequence[CaseState], now: int,
                                    trace_headers: Mapping[str, dict[str, str]] | None = None) -> None:
    """Make the changed cases' timers due now (in the snapshot batch's transaction): the clock plans
    and raises their alerts right after the commit, so a burst of alerts never delays the snapshots."""
    headers = trace_headers or {}
    await ledger.make_due([(s.case_id, headers.get(s.case_id, {})) for s in states], now)


async def run_deadline_clock(ledgers: AlertLedgers, rules: Rules, policy: AlertPolicy, topic: str | AlertTopics,
                             stopping: asyncio.Event, wake: asyncio.Event | None = None, batch: int = 10,
                             nudged: asyncio.Event | None = None) -> None:
    """Every second, or as soon as `nudged` (a snapshot batch committed), plan the cases whose timers
    are due. Safe with several replicas (SKIP LOCKED); after a restart the timers in PostgreSQL pick
    up where the clock stopped. Small batches: planning runs on the consumer's event loop."""
    while not stopping.is_set():
        try:
            due = await tick(ledgers, rules, policy, topic, wall_clock_ms(), batch)
        except Exception:  # PostgreSQL away: the timers are still there when it is back
            log.exception("deadline clock tick failed; retrying")
            due = 0
        if due:
            if wake is not None:
                wake.set()
            continue
        await _sleep(stopping, nudged, await ledgers.seconds_to_next_timer())


async def _sleep(stopping: asyncio.Event, nudged: asyncio.Event | None, timeout: float) -> None:
    waits = [asyncio.ensure_future(stopping.wait())]
    if nudged is not None:
        waits.append(asyncio.ensure_future(nudged.wait()))
    _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*pending)
    if nudged is not None:
        nudged.clear()


async def tick(ledgers: AlertLedgers, rules: Rules, policy: AlertPolicy, topic: str | AlertTopics, now: int,
               batch: int) -> int:
    async with ledgers.transaction() as ledger:
        due = await ledger.due_timers(now, batch)
        found = await ledger.states([(t.case_id, t.version) for t in due])
        states = [found[t.case_id] for t in due if t.case_id in found]
        traces = {t.case_id: t.trace for t in due if t.trace}
        facts = {t.case_id: t.facts for t in due if t.facts}
        await raise_on_cases_changed(ledger, states, now, rules, policy, topic, traces, facts)
    return len(due)
