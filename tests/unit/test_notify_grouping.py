"""Grouping windows, quiet hours and silences, decided without a clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from caseflow.instants import SHANGHAI
from caseflow_notify.grouping import Pending, QuietHours, Silence, plan_receiver

NOW = datetime(2026, 11, 3, 10, 0, 0, tzinfo=SHANGHAI)
W = timedelta(seconds=5)


def p(alert_id: str, level: int = 1, case_id: str = "C1", attempts: int = 0) -> Pending:
    return Pending(alert_id, "U1", case_id, level, attempts)


def test_first_alert_goes_at_once_later_ones_wait_for_the_window() -> None:
    first = plan_receiver([p("a")], NOW, None, W, None, [])
    assert [x.alert_id for x in first.send] == ["a"] and first.wait_until is None
    later = plan_receiver([p("b"), p("c")], NOW + timedelta(seconds=2), NOW, W, None, [])
    assert later.send == () and later.wait_until == NOW + W and len(later.waiting) == 2
    together = plan_receiver([p("b"), p("c")], NOW + W, NOW, W, None, [])
    assert [x.alert_id for x in together.send] == ["b", "c"]


def test_retries_do_not_wait_for_the_window() -> None:
    plan = plan_receiver([p("r", attempts=2), p("n")], NOW + timedelta(seconds=1), NOW, W, None, [])
    assert [x.alert_id for x in plan.send] == ["r"] and [x.alert_id for x in plan.waiting] == ["n"]


def test_quiet_hours_hold_all_but_supervision() -> None:
    quiet = QuietHours(time(22, 0), time(7, 0))
    night = datetime(2026, 11, 3, 23, 30, tzinfo=SHANGHAI)
    plan = plan_receiver([p("w", level=0), p("s", level=3)], night, None, W, quiet, [])
    assert [x.alert_id for x in plan.send] == ["s"] and [x.alert_id for x in plan.waiting] == ["w"]
    assert plan.wait_until == datetime(2026, 11, 4, 7, 0, tzinfo=SHANGHAI)
    early = datetime(2026, 11, 4, 6, 0, tzinfo=SHANGHAI)
    assert quiet.end_after(early) == datetime(2026, 11, 4, 7, 0, tzinfo=SHANGHAI)
    assert quiet.end_after(NOW) is None


def test_silences_mute_a_unit_or_a_case_until_a_time() -> None:
    case_silence = Silence("U1", "C2", NOW + timedelta(hours=1))
    plan = plan_receiver([p("a", case_id="C1"), p("b", case_id="C2")], NOW, None, W, None, [case_silence])
    assert [x.alert_id for x in plan.silenced] == ["b"] and [x.alert_id for x in plan.send] == ["a"]
    expired = Silence("U1", None, NOW - timedelta(seconds=1))
    assert plan_receiver([p("a")], NOW, None, W, None, [expired]).silenced == ()
    unit_silence = Silence("U1", None, NOW + timedelta(minutes=5))
    assert len(plan_receiver([p("a"), p("b", case_id="C9")], NOW, None, W, None, [unit_silence]).silenced) == 2
