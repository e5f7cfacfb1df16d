"""Alert planning: warnings, overdue levels and reminders, supervision, resolution; stable ids."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.domain.alerts import AlertPolicy, plan_alerts
from caseflow.domain.caselog import CaseLog, record
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate
from tests.support.events import domain, ev, ms

C = "C-A"


def state(rules: Rules, events: list[dict[str, Any]]) -> CaseState:
    log = CaseLog()
    for seq, raw in enumerate(events):
        log, _ = record(log, domain(raw, seq), rules)
    assert log.state is not None
    return log.state


def opened(*more: dict[str, Any]) -> list[dict[str, Any]]:
    return [ev("reported", C, "2026-09-29 09:00"),
            ev("dispatched", C, "2026-09-29 09:20", unit="U1", time_limit={"value": 4, "unit": "working_hours"}),
            *more]


def kinds(alerts) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    return [(a.type, a.level, a.reason) for a in alerts]


def test_warning_then_overdue_levels(rules: Rules) -> None:
    s = state(rules, opened())
    assert plan_alerts(s, ms("2026-09-29 14:31"), rules) == []
    warned = plan_alerts(s, ms("2026-09-29 14:32"), rules)  # 48 working minutes (20%) before 15:20
    assert kinds(warned) == [("deadline_warning", 0, "80% of the limit elapsed")]
    at_deadline = plan_alerts(s, ms("2026-09-29 15:20"), rules)
    assert [a.type for a in at_deadline] == ["deadline_warning", "overdue"] and at_deadline[1].level == 1
    # level 2 at deadline + 2 working hours (17:20); level 3 + supervision at + 4 working hours (next day 09:20)
    later = plan_alerts(s, ms("2026-09-30 09:20"), rules)
    level2 = [a.at for a in later if a.type == "overdue" and a.level == 2]
    assert level2[0] == ms("2026-09-29 17:20") and len(level2) == 4  # reminders every 4 h until level 3
    assert [a.at for a in later if a.level == 3] == [ms("2026-09-30 09:20")] * 2
    assert {a.reason for a in later if a.type == "supervision"} == {"overdue by the whole limit"}


def test_disposed_in_time_raises_nothing_and_late_disposal_resolves(rules: Rules) -> None:
    quick = state(rules, opened(ev("disposed", C, "2026-09-29 10:00", unit="U1")))
    assert plan_alerts(quick, ms("2026-10-30 00:00"), rules) == []
    late = state(rules, opened(ev("disposed", C, "2026-09-29 16:00", unit="U1")))
    alerts = plan_alerts(late, ms("2026-10-30 00:00"), rules)
    assert [a.type for a in alerts] == ["deadline_warning", "overdue", "resolved"]
    assert alerts[-1].at == ms("2026-09-29 16:00")


def test_suspended_assignments_are_never_overdue(rules: Rules) -> None:
    s = state(rules, opened(ev("suspended", C, "2026-09-29 10:00", unit="U1")))
    assert plan_alerts(s, ms("2026-10-20 00:00"), rules) == []


def test_supervision_on_event_and_on_second_rework(rules: Rules) -> None:
    s = state(rules, opened(
        ev("supervised", C, "2026-09-29 09:30", reason="media"),
        ev("disposed", C, "2026-09-29 09:40", unit="U1"), ev("reworked", C, "2026-09-29 09:50", unit="U1"),
        ev("disposed", C, "2026-09-29 10:00", unit="U1"), ev("reworked", C, "2026-09-29 10:10", unit="U1"),
        ev("disposed", C, "2026-09-29 10:20", unit="U1")))
    assert sorted(a.reason for a in plan_alerts(s, ms("2026-10-01 00:00"), rules)) == ["second_rework", "supervised"]


def test_ids_are_stable_and_distinct(rules: Rules) -> None:
    s = state(rules, opened())
    first = plan_alerts(s, ms("2026-09-30 12:00"), rules)
    assert [a.alert_id for a in first] == [a.alert_id for a in plan_alerts(s, ms("2026-09-30 12:00"), rules)]
    assert len({a.alert_id for a in first}) == len(first)


def _month_cases(rules: Rules, seed: int, as_of: int | None = None) -> dict[str, CaseState]:
    book = CaseBook(rules)
    for seq, line in enumerate(generate(Shape(cases=40, units=4, regions=2, seed=seed))):
        book.add_raw(line, seq, as_of)
    return {log.state.case_id: log.state for log in book.logs.values() if log.state is not None}


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.integers(ms("2026-10-02 00:00"), ms("2026-10-30 00:00")))
def test_alerts_by_now_do_not_depend_on_later_events(rules: Rules, seed: int, now: int) -> None:
    full = _month_cases(rules, seed)
    cut = _month_cases(rules, seed, as_of=now)
    policy = AlertPolicy()
    for case_id, case in cut.items():
        assert plan_alerts(full[case_id], now, rules, policy) == plan_alerts(case, now, rules, policy), case_id


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_later_plans_extend_earlier_ones(rules: Rules, seed: int, rnd: random.Random) -> None:
    cases = _month_cases(rules, seed)
    t1 = ms("2026-10-05 00:00") + rnd.randrange(20 * 86_400_000)
    t2 = t1 + rnd.randrange(5 * 86_400_000)
    for case in cases.values():
        assert set(plan_alerts(case, t1, rules)) <= set(plan_alerts(case, t2, rules))


def overdue_then_suspended_past_its_deadline(rules: Rules) -> CaseState:
    """Overdue through level 3, then suspended, then resumed the next day: the deadline stays in the
    past, so every level is reached again at the resumption (issue #20: the fault run's case)."""
    return state(rules, [ev("reported", C, "2026-10-12 08:00"),
                         ev("dispatched", C, "2026-10-12 09:00", unit="U1", time_limit={"value": 1, "unit": "hours"}),
                         ev("suspended", C, "2026-10-12 12:00", unit="U1"),
                         ev("resumed", C, "2026-10-13 09:00", unit="U1")])


def test_a_level_reached_again_is_the_alert_already_raised(rules: Rules) -> None:
    case = overdue_then_suspended_past_its_deadline(rules)
    alerts = plan_alerts(case, ms("2026-10-13 09:30"), rules)
    ids = [a.alert_id for a in alerts]
    assert len(ids) == len(set(ids)), kinds(alerts)
    first_level_1 = next(a for a in alerts if (a.type, a.level, a.reminder) == ("overdue", 1, 0))
    assert first_level_1.at == ms("2026-10-12 10:00")  # the earliest instance keeps the id
    assert sum(1 for a in alerts if a.reason == "overdue by the whole limit") == 1


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6))
def test_a_plan_names_each_alert_once(rules: Rules, seed: int) -> None:
    for case in _month_cases(rules, seed).values():
        ids = [a.alert_id for a in plan_alerts(case, ms("2026-11-30 00:00"), rules)]
        assert len(ids) == len(set(ids)), case.case_id


def test_repeat_case_alert_once_the_group_is_filed(rules: Rules) -> None:
    from caseflow.domain.period_alerts import plan_repeat_alerts

    def case(cid: str, reported: str, filed: str) -> CaseState:
        return state(rules, [ev("reported", cid, reported, grid="G9", road_grade="primary"),
                             ev("filed", cid, filed)])

    first = case("R1", "2026-10-05 09:00", "2026-10-05 11:00")
    second = case("R2", "2026-10-05 10:00", "2026-10-05 10:30")  # filed before the first one
    start, end = ms("2026-10-01 00:00"), ms("2026-11-01 00:00")
    assert plan_repeat_alerts([first, second], start, end, ms("2026-10-05 10:45"), rules) == []
    alerts = plan_repeat_alerts([first, second], start, end, ms("2026-10-06 00:00"), rules)
    assert [(a.case_id, a.at, a.reason) for a in alerts] == [("R2", ms("2026-10-05 11:00"), "repeat_case")]


def test_unit_below_its_on_time_target(rules: Rules) -> None:
    from caseflow.domain.period_alerts import plan_unit_rate_alerts

    rows = {"U1": {"due": 12, "on_time_rate": 0.75}, "U2": {"due": 9, "on_time_rate": 0.1},
            "U3": {"due": 40, "on_time_rate": 0.95}, "U4": {"due": 0, "on_time_rate": None}}
    alerts = plan_unit_rate_alerts(rows, 0, 1000, {"U3": 0.99}, 0.9)
    assert [a.unit for a in alerts] == ["U1", "U3"]
    assert len({a.alert_id for a in alerts}) == 2


def test_zero_allowance_still_tells_the_unit(rules: Rules) -> None:
    # Dispatched at 19:00 with a deadline at 19:30: no working time in between, so every level
    # starts at the deadline; the unit still gets its level-1 alert.
    s = state(rules, [ev("reported", C, "2026-09-29 18:50"),
                      ev("dispatched", C, "2026-09-29 19:00", unit="U1", deadline_at="2026-09-29T19:30:00+08:00")])
    levels = sorted({(a.type, a.level) for a in plan_alerts(s, ms("2026-09-29 19:30"), rules)})
    assert ("overdue", 1) in levels and ("overdue", 3) in levels


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.integers(ms("2026-10-02 00:00"), ms("2026-10-30 00:00")))
def test_one_pass_gives_the_due_alerts_and_the_next_instant(rules: Rules, seed: int, now: int) -> None:
    from caseflow.domain.alerts import plan_with_next

    for case in _month_cases(rules, seed).values():
        due, following = plan_with_next(case, now, rules)
        assert due == plan_alerts(case, now, rules)
        horizon = 7 * 24 * 3_600_000
        later = [a.at for a in plan_alerts(case, now + horizon, rules) if a.at > now]
        still_open = any(a.is_open for a in case.assignments)
        assert following == (min(later) if later else now + horizon if still_open else None)
