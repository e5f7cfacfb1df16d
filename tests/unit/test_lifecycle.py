"""The state machine: every rejection of SPEC section 2, reassignment, deadlines through the life."""

from __future__ import annotations

from typing import Any

import pytest

from caseflow.domain.calendar import HOUR
from caseflow.domain.caselog import CaseLog, record
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from tests.support.events import domain, ev, ms

C = "C-1"


def run(rules: Rules, events: list[dict[str, Any]]) -> CaseLog:
    log = CaseLog()
    for seq, raw in enumerate(events):
        log, _ = record(log, domain(raw, seq), rules)
    return log


def opened(unit: str = "U1", **limit: Any) -> list[dict[str, Any]]:
    limit = limit or {"time_limit": {"value": 4, "unit": "working_hours"}}
    return [
        ev("reported", C, "2026-09-29 09:00"),
        ev("filed", C, "2026-09-29 09:10"),
        ev("dispatched", C, "2026-09-29 09:20", unit=unit, **limit),
    ]


REJECTIONS = [
    ("never reported", [ev("filed", C, "2026-09-29 09:00")], "not_reported"),
    ("after invalidated", [ev("reported", C, "2026-09-29 09:00"), ev("invalidated", C, "2026-09-29 09:05"),
                           ev("dispatched", C, "2026-09-29 09:10", unit="U1")], "case_invalidated"),
    ("second reported", [ev("reported", C, "2026-09-29 09:00"), ev("reported", C, "2026-09-29 09:01")],
     "already_reported"),
    ("second closed", [*opened(), ev("disposed", C, "2026-09-29 10:00", unit="U1"),
                       ev("closed", C, "2026-09-29 10:10"), ev("closed", C, "2026-09-29 10:20")], "already_closed"),
    ("dispatch after closed", [*opened(), ev("disposed", C, "2026-09-29 10:00", unit="U1"),
                               ev("closed", C, "2026-09-29 10:10"),
                               ev("dispatched", C, "2026-09-29 10:20", unit="U2")], "case_closed"),
    ("closed while open", [*opened(), ev("closed", C, "2026-09-29 10:00")], "assignment_open"),
    ("no assignment", [ev("reported", C, "2026-09-29 09:00"), ev("disposed", C, "2026-09-29 10:00", unit="U1")],
     "no_assignment"),
    ("wrong unit", [*opened(), ev("disposed", C, "2026-09-29 10:00", unit="U2")], "wrong_unit"),
    ("returned after return", [*opened(), ev("returned", C, "2026-09-29 10:00", unit="U1"),
                               ev("extended", C, "2026-09-29 10:05", unit="U1", extra={"value": 1, "unit": "hours"})],
     "no_assignment"),
    ("extend a disposed one", [*opened(), ev("disposed", C, "2026-09-29 10:00", unit="U1"),
                               ev("extended", C, "2026-09-29 10:05", unit="U1", extra={"value": 1, "unit": "hours"})],
     "assignment_not_open"),
    ("return a disposed one", [*opened(), ev("disposed", C, "2026-09-29 10:00", unit="U1"),
                               ev("returned", C, "2026-09-29 10:05", unit="U1")], "assignment_not_open"),
    ("dispose while suspended", [*opened(), ev("suspended", C, "2026-09-29 10:00", unit="U1"),
                                 ev("disposed", C, "2026-09-29 10:05", unit="U1")], "suspended"),
    ("second suspended", [*opened(), ev("suspended", C, "2026-09-29 10:00", unit="U1"),
                          ev("suspended", C, "2026-09-29 10:05", unit="U1")], "already_suspended"),
    ("resume when not suspended", [*opened(), ev("resumed", C, "2026-09-29 10:05", unit="U1")], "not_suspended"),
    ("rework undisposed", [*opened(), ev("reworked", C, "2026-09-29 10:05", unit="U1")], "not_disposed"),
]


@pytest.mark.parametrize(("name", "events", "reason"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_nonsense_is_rejected_and_changes_nothing(rules: Rules, name: str, events: list, reason: str) -> None:
    before = run(rules, events[:-1])
    after = run(rules, events)
    assert [r.reason for r in after.rejected][-1:] == [reason]
    assert after.state == before.state


def test_dispatch_while_open_is_a_reassignment(rules: Rules) -> None:
    log = run(rules, [*opened("U1"), ev("dispatched", C, "2026-09-29 11:00", unit="U1",
                                        time_limit={"value": 2, "unit": "working_hours"})])
    assert log.state is not None
    first, second = log.state.assignments
    assert first.returned_at == ms("2026-09-29 11:00")
    assert second.unit == "U1" and second.returned_at is None
    assert second.deadline == ms("2026-09-29 15:00")


def test_limits_deadlines_and_traffic_light(rules: Rules) -> None:
    from caseflow.domain.deadlines import traffic_light

    log = run(rules, opened(time_limit={"value": 4, "unit": "working_hours"}))
    a = _current(log.state)
    assert a.deadline == ms("2026-09-29 15:20")  # 09:20 + 2h40 to noon + 1h20 after 14:00
    light = lambda t: traffic_light(a, ms(t), 0.8, rules.calendar)  # noqa: E731
    assert light("2026-09-29 12:30") == "green"  # 2h40 of 4h used
    assert light("2026-09-29 14:35") == "yellow"  # 3h15 >= 80% of 4h
    assert light("2026-09-29 15:20") == "red"


def test_urgent_deadline_at_counts_calendar_time(rules: Rules) -> None:
    events = [ev("reported", C, "2026-09-29 09:00"), ev("filed", C, "2026-09-29 09:10", urgency="urgent"),
              ev("dispatched", C, "2026-09-29 11:00", unit="U1", deadline_at="2026-09-29T13:00:00+08:00"),
              ev("suspended", C, "2026-09-29 11:30", unit="U1"), ev("resumed", C, "2026-09-29 12:30", unit="U1")]
    a = _current(run(rules, events).state)
    assert a.kind == "calendar" and a.allowance == 2 * HOUR
    assert a.deadline == ms("2026-09-29 14:00")  # + 1 hour of wall time suspended


def test_suspension_shifts_a_working_deadline_by_working_time(rules: Rules) -> None:
    events = [*opened(time_limit={"value": 1, "unit": "working_days"}),
              ev("suspended", C, "2026-09-29 17:00", unit="U1"), ev("resumed", C, "2026-10-08 09:00", unit="U1")]
    a = _current(run(rules, events).state)
    # 1 working day from Tue 09:20 -> Wed 30 Sep 09:20. Suspended 10 working hours (29 Sep 17-18,
    # all of 30 Sep, 8 Oct 08-09): 6h40 left on 30 Sep, then the holiday, then 3h20 on 8 Oct.
    assert a.deadlines[0][1] == ms("2026-09-30 09:20")
    assert a.deadline == ms("2026-10-08 11:20")


def test_extension_adds_in_its_own_unit(rules: Rules) -> None:
    events = [*opened(), ev("extended", C, "2026-09-29 10:00", unit="U1", extra={"value": 4, "unit": "working_hours"})]
    assert _current(run(rules, events).state).deadline == ms("2026-09-30 09:20")
    events = [*opened(), ev("extended", C, "2026-09-29 10:00", unit="U1", extra={"value": 4, "unit": "hours"})]
    assert _current(run(rules, events).state).deadline == ms("2026-09-29 19:20")


def test_rework_restarts_with_the_original_limit_by_default(rules: Rules) -> None:
    events = [*opened(), ev("disposed", C, "2026-09-29 10:00", unit="U1"),
              ev("reworked", C, "2026-09-29 16:00", unit="U1")]
    a = _current(run(rules, events).state)
    assert a.deadline == ms("2026-09-30 10:00") and a.is_open and a.reworks == 1


def test_time_limit_table_decides_without_a_limit(rules: Rules) -> None:
    # 01/05 normal is 4 working hours in the shipped table; 03/02 falls to the default 2 working days.
    a = _current(run(rules, opened(time_limit=None) if False else [
        ev("reported", C, "2026-09-29 09:00"), ev("dispatched", C, "2026-09-29 09:20", unit="U1")]).state)
    assert a.deadline == ms("2026-09-29 15:20")
    b = _current(run(rules, [ev("reported", C, "2026-09-29 09:00", major="03", minor="02"),
                             ev("dispatched", C, "2026-09-29 09:20", unit="U1")]).state)
    assert b.deadline == ms("2026-10-08 09:20")


def test_out_of_order_within_the_bound_is_applied_in_time_order(rules: Rules) -> None:
    dispatch, dispose = opened()[2], ev("disposed", C, "2026-09-29 09:25", unit="U1")
    in_order = run(rules, [*opened()[:2], dispatch, dispose])
    swapped = run(rules, [*opened()[:2], dispose, dispatch])
    assert swapped.state == in_order.state and not swapped.rejected


def test_events_past_the_bound_are_rejected_as_too_late(rules: Rules) -> None:
    log = run(rules, [*opened(), ev("supervised", C, "2026-09-29 09:15", reason="other"),
                      ev("disposed", C, "2026-09-29 12:00", unit="U1"),
                      ev("visited", C, "2026-09-29 09:30", result="satisfied")])
    assert [r.reason for r in log.all_rejected] == ["too_late"]


def _current(state: CaseState | Rejection | None):  # type: ignore[no-untyped-def]
    assert isinstance(state, CaseState)
    assert state.assignments
    return state.assignments[-1]
