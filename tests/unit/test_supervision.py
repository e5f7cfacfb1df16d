"""督办 (rules §8 and the seed's use of it): a supervised event keeps its reason and deadline on the
case, counts per reason per unit, and a 督办 deadline that passes with the case not disposed raises an
overdue alert of the supervision to the unit, its leadership and the command centre."""

from __future__ import annotations

from typing import Any

import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import parse_directory
from caseflow.contract.snapshot import decode, encode
from caseflow.domain.alerts import SUPERVISION_DEADLINE, plan_alerts
from caseflow.domain.rules import Rules
from caseflow.domain.state import Supervision
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import replay
from tests.support.events import ev, lines, ms
from tests.unit.test_alerts import state

C = "C-S"
LIMIT = {"time_limit": {"value": 3, "unit": "working_days"}}


def opened(*more: dict[str, Any]) -> list[dict[str, Any]]:
    return [ev("reported", C, "2026-09-29 09:00"), ev("dispatched", C, "2026-09-29 09:20", unit="U1", **LIMIT),
            *more]


def supervision_overdue(rules: Rules, events: list[dict[str, Any]], now: str):  # type: ignore[no-untyped-def]
    return [a for a in plan_alerts(state(rules, events), ms(now), rules) if a.reason == SUPERVISION_DEADLINE]


def test_the_case_keeps_each_order_with_its_reason_and_deadline(rules: Rules) -> None:
    s = state(rules, opened(ev("supervised", C, "2026-09-29 10:00", reason="leader_instruction",
                               deadline_at="2026-09-29T16:00:00+08:00"),
                            ev("supervised", C, "2026-09-29 11:00", reason="media")))
    assert s.supervisions == (Supervision(ms("2026-09-29 10:00"), "leader_instruction", ms("2026-09-29 16:00")),
                              Supervision(ms("2026-09-29 11:00"), "media", None))
    assert decode(encode(s, 3)) == (3, s)  # snapshots carry them


def test_a_snapshot_written_before_orders_had_reasons_still_decodes(rules: Rules) -> None:
    s = state(rules, opened(ev("supervised", C, "2026-09-29 10:00", reason="media")))
    old = encode(s, 1).replace(b'{"at":%d,"reason":"media","deadline_at":null}' % ms("2026-09-29 10:00"),
                               b"%d" % ms("2026-09-29 10:00"))
    assert old != encode(s, 1)
    assert decode(old)[1].supervisions == (Supervision(ms("2026-09-29 10:00"), "other", None),)


@pytest.mark.parametrize(("more", "now", "expected"), [
    ([], "2026-09-29 15:59", []),  # not yet
    ([], "2026-09-29 16:00", [("2026-09-29 16:00", 2)]),  # due at the 督办 deadline, before the case's own
    ([ev("disposed", C, "2026-09-29 15:00", unit="U1")], "2026-10-05 00:00", []),  # disposed in time
    ([ev("disposed", C, "2026-09-29 16:00", unit="U1")], "2026-10-05 00:00", []),  # at the deadline: in time
    ([ev("suspended", C, "2026-09-29 15:00", unit="U1")], "2026-10-05 00:00", []),  # suspended: never overdue
    ([ev("returned", C, "2026-09-29 15:00", unit="U1")], "2026-10-05 00:00", []),  # nobody holds it
])
def test_a_supervision_deadline(rules: Rules, more: list[dict[str, Any]], now: str,
                                expected: list[tuple[str, int]]) -> None:
    events = opened(ev("supervised", C, "2026-09-29 10:00", reason="leader_instruction",
                       deadline_at="2026-09-29T16:00:00+08:00"), *more)
    found = supervision_overdue(rules, events, now)
    assert [(a.at, a.level) for a in found] == [(ms(at), level) for at, level in expected]
    for alert in found:
        assert alert.type == "overdue" and alert.unit == "U1"
        assert alert.recipients == ("unit", "leadership", "command_centre")


def test_a_supervision_deadline_on_a_holiday_is_the_instant_given(rules: Rules) -> None:
    """2026-10-01 is 国庆节: a working-time deadline would wait for the 8th; the 督办 deadline does not."""
    events = opened(ev("supervised", C, "2026-09-30 10:00", reason="higher_level",
                       deadline_at="2026-10-02T09:00:00+08:00"))
    assert [a.at for a in supervision_overdue(rules, events, "2026-10-03 00:00")] == [ms("2026-10-02 09:00")]


def test_the_overdue_supervision_is_resolved_by_the_disposal(rules: Rules) -> None:
    events = opened(ev("supervised", C, "2026-09-29 10:00", reason="leader_instruction",
                       deadline_at="2026-09-29T16:00:00+08:00"),
                    ev("disposed", C, "2026-09-30 09:00", unit="U1"))
    alerts = plan_alerts(state(rules, events), ms("2026-10-05 00:00"), rules)
    assert [(a.type, a.at) for a in alerts if a.type in ("overdue", "resolved")] == [
        ("overdue", ms("2026-09-29 16:00")), ("resolved", ms("2026-09-30 09:00"))]
    again = plan_alerts(state(rules, events), ms("2026-10-05 00:00"), rules)
    assert [a.alert_id for a in again] == [a.alert_id for a in alerts]  # stable ids


def test_supervisions_counted_per_reason_per_unit(rules: Rules) -> None:
    units = parse_directory({"units": [{"id": "U1", "class": 1}, {"id": "U2", "class": 1}]}, "test")
    events = [ev("reported", "A", "2026-10-12 08:00"), ev("dispatched", "A", "2026-10-12 09:00", unit="U1"),
              ev("supervised", "A", "2026-10-12 10:00", reason="media"),
              ev("supervised", "A", "2026-10-12 11:00", reason="leader_instruction"),
              ev("supervised", "A", "2026-10-12 12:00", reason="media"),
              ev("reported", "B", "2026-10-12 08:00"), ev("dispatched", "B", "2026-10-12 09:00", unit="U1"),
              ev("supervised", "B", "2026-10-12 10:00", reason="media"),
              ev("reported", "D", "2026-10-12 08:00"), ev("dispatched", "D", "2026-10-12 09:00", unit="U2")]
    result = replay(lines(events), make_period("2026-10", None, None, None), rules, units, load_schemes())
    u1, u2 = result.indicators.units["U1"], result.indicators.units["U2"]
    assert (u1["supervised"], u1["supervised_media"], u1["supervised_leader_instruction"]) == (2, 2, 1)
    assert u1["supervised_other"] == 0 and u2["supervised"] == u2["supervised_media"] == 0
