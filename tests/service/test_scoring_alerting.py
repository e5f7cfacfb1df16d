"""scoring's deadline clock with in-memory ports (the PostgreSQL adapters are exercised in
tests/integration/test_alert_clock.py and end to end): an alert goes out once however often it is
planned, timers move to the next instant and go when nothing can fire, a tick plans only due cases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import orjson

from caseflow.domain.alerts import Alert, AlertPolicy, plan_alerts
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow_scoring.alerting import (
    AlertTopics,
    raise_alerts,
    raise_on_cases_changed,
    schedule_on_cases_changed,
    tick,
)
from caseflow_scoring.ports import DueTimer, Outgoing
from tests.support.events import ev, ms
from tests.unit.test_alerts import state


class MemoryLedger:
    def __init__(self) -> None:
        self.raised: dict[str, bytes] = {}
        self.timers: dict[str, int] = {}
        self.traces: dict[str, Mapping[str, str]] = {}
        self.cases: dict[str, CaseState] = {}
        self.outbox: list[Outgoing] = []

    async def record_raised(self, alerts: Sequence[Alert], bodies: Mapping[str, bytes]) -> set[str]:
        fresh = {a.alert_id for a in alerts} - set(self.raised)
        self.raised.update({a: bodies[a] for a in fresh})
        return fresh

    async def set_timers(self, timers: Sequence[tuple[str, int | None]]) -> None:
        for case_id, at in timers:
            if at is None:
                self.timers.pop(case_id, None)
            else:
                self.timers[case_id] = at

    async def make_due(self, cases: Sequence[tuple[str, Mapping[str, str]]], now: int) -> None:
        for case_id, trace in cases:
            self.timers[case_id], self.traces[case_id] = now, trace

    async def due_timers(self, now: int, batch: int) -> list[DueTimer]:
        due = sorted((at, c) for c, at in self.timers.items() if at <= now)[:batch]
        return [DueTimer(c, 1, dict(self.traces.get(c, {})), {"address": "文一西路"}) for _, c in due]

    async def states(self, versions: Sequence[tuple[str, int]]) -> dict[str, CaseState]:
        return {c: self.cases[c] for c, _ in versions if c in self.cases}

    async def enqueue(self, messages: Sequence[Outgoing]) -> None:
        self.outbox += messages

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryLedger]:
        yield self

    async def seconds_to_next_timer(self) -> float:
        return 1.0


def one_hour_case(rules: Rules, case_id: str = "C-S") -> CaseState:
    return state(rules, [ev("reported", case_id, "2026-10-12 08:00"),
                         ev("dispatched", case_id, "2026-10-12 09:00", unit="U1",
                            time_limit={"value": 1, "unit": "hours"})])


async def test_an_alert_id_goes_out_once(rules: Rules) -> None:
    ledger = MemoryLedger()
    alerts = plan_alerts(one_hour_case(rules), ms("2026-10-12 10:05"), rules)
    assert alerts
    assert await raise_alerts(ledger, alerts + alerts[::-1], "alerts") == len(alerts)
    assert await raise_alerts(ledger, alerts, "alerts") == 0
    sent = [orjson.loads(v)["alert_id"] for _, _, v, _ in ledger.outbox]
    assert sorted(sent) == sorted(a.alert_id for a in alerts)
    assert {k for _, k, _, _ in ledger.outbox} == {"U1"}  # keyed by unit: scoring scales by unit


async def test_planning_moves_the_timer_and_drops_it_once_the_case_is_done(rules: Rules) -> None:
    ledger = MemoryLedger()
    case = one_hour_case(rules)
    await raise_on_cases_changed(ledger, [case], ms("2026-10-12 09:10"), rules, AlertPolicy(), "alerts")
    assert ledger.outbox == [] and ms("2026-10-12 09:10") < ledger.timers["C-S"] <= ms("2026-10-12 10:00")
    closed = state(rules, [ev("reported", "C-S", "2026-10-12 08:00"),
                           ev("dispatched", "C-S", "2026-10-12 09:00", unit="U1",
                              time_limit={"value": 1, "unit": "hours"}),
                           ev("disposed", "C-S", "2026-10-12 09:20", unit="U1"),
                           ev("closed", "C-S", "2026-10-12 09:30")])
    await raise_on_cases_changed(ledger, [closed], ms("2026-10-12 09:40"), rules, AlertPolicy(), "alerts")
    assert "C-S" not in ledger.timers and ledger.outbox == []


async def test_a_tick_plans_due_cases_with_their_trace_and_facts(rules: Rules) -> None:
    ledger = MemoryLedger()
    due, later = one_hour_case(rules, "C-DUE"), one_hour_case(rules, "C-LATER")
    ledger.cases = {due.case_id: due, later.case_id: later}
    await schedule_on_cases_changed(ledger, [due], ms("2026-10-12 10:05"), {"C-DUE": {"traceparent": "00-ab-cd-01"}})
    ledger.timers["C-LATER"] = ms("2026-10-12 12:00")
    assert await tick(ledger, rules, AlertPolicy(), "alerts", ms("2026-10-12 10:05"), 10) == 1
    bodies = [orjson.loads(v) for _, _, v, _ in ledger.outbox]
    assert bodies and {b["case_id"] for b in bodies} == {"C-DUE"}
    assert all(b["case"]["address"] == "文一西路" and b["schema"] == "alert.v1" for b in bodies)
    assert all(h == {"traceparent": "00-ab-cd-01"} for _, _, _, h in ledger.outbox)
    assert ledger.timers["C-LATER"] == ms("2026-10-12 12:00")


async def test_an_alert_raised_long_after_its_instant_takes_the_backlog_lane(rules: Rules) -> None:
    """A month of history sent again raises thousands of alerts about long-past instants: they go on the
    backlog topic, so a deadline that falls due now reaches notify without queueing behind them."""
    lanes = AlertTopics("alerts", "alerts-backlog", catch_up_ms=3_600_000)
    fresh, old = MemoryLedger(), MemoryLedger()
    await raise_on_cases_changed(fresh, [one_hour_case(rules)], ms("2026-10-12 10:05"), rules, AlertPolicy(), lanes)
    await raise_on_cases_changed(old, [one_hour_case(rules)], ms("2026-10-13 10:05"), rules, AlertPolicy(), lanes)
    assert fresh.outbox and {t for t, _, _, _ in fresh.outbox} == {"alerts"}
    assert old.outbox and {t for t, _, _, _ in old.outbox} == {"alerts-backlog"}
    unsaid = MemoryLedger()  # a caller that does not say when it raises: the fresh lane
    assert await raise_alerts(unsaid, plan_alerts(one_hour_case(rules), ms("2026-10-13 10:05"), rules), lanes) > 0
    assert {t for t, _, _, _ in unsaid.outbox} == {"alerts"}
