"""Exemption applications (rules §4a): who may apply and decide, for which assignment, in which window;
every change kept; only approved ones count."""

from __future__ import annotations

from datetime import date

import pytest

from caseflow.domain.assessment_records import Actor, Refusal
from caseflow.domain.calendar import date_to_day, day_start
from caseflow.domain.exemption_requests import Application, apply_for, decide, exemptions_of, window_end
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds

START, END = month_bounds("2026-10")
AT = START + 7 * 86_400_000 + 3_600_000
REASONS = {"not_ours": "非本单位职责", "force_majeure": "不可抗力"}
UNIT = Actor("unit:U-HW", "unit", "U-HW")
CENTRE = Actor("chief", "approver")
ASSESSOR = Actor("ops", "assessor")
HELD = [("U-HW", AT), ("U-SZ", AT + 3_600_000)]


def draft(**changes: object) -> Application:
    fields: dict[str, object] = {"id": "E-1", "period": "2026-10", "case_id": "C1", "unit_id": "U-HW",
                                 "dispatched_at": AT, "kind": "on_time", "reason": "force_majeure",
                                 "applied_by": "", "applied_at": 0, "text": "台风停工"}
    fields.update(changes)
    return Application(**fields)  # type: ignore[arg-type]


def test_the_window_ends_with_the_fifth_working_day_after_the_month(rules: Rules) -> None:
    # November 2026 begins on a Sunday: its 1st working day is the 2nd, the 5th is Friday the 6th
    assert window_end(rules.calendar, END, 5) == day_start(date_to_day(date(2026, 11, 7)))
    assert window_end(rules.calendar, END, 1) == day_start(date_to_day(date(2026, 11, 3)))


def test_a_unit_applies_for_its_own_assignment_within_the_window() -> None:
    made = apply_for(draft(), UNIT, END + 1000, END + 86_400_000, REASONS, HELD)
    assert isinstance(made, Application) and made.status == "pending" and made.applied_by == "unit:U-HW"
    assert [(c.action, c.old, c.new, c.why) for c in made.history] == [("apply", None, "pending", "台风停工")]


@pytest.mark.parametrize(("actor", "changes", "now", "held", "says", "forbidden"), [
    (ASSESSOR, {}, END, HELD, "a unit applies for its own exemptions", True),
    (Actor("unit:U-SZ", "unit", "U-SZ"), {}, END, HELD, "this token belongs to 'U-SZ', not 'U-HW'", True),
    (UNIT, {"kind": "late"}, END, HELD, "kind 'late': expected one of exclude, on_time, rework", False),
    (UNIT, {"reason": "busy"}, END, HELD, "reason 'busy': expected one of not_ours (非本单位职责)", False),
    (UNIT, {}, END + 86_400_000, HELD, "the window for 2026-10's exemptions has closed", False),
    (UNIT, {"dispatched_at": AT + 3_600_000}, END, HELD, "dispatched then is U-SZ's, not U-HW's", True),
    (UNIT, {"dispatched_at": AT + 1}, END, HELD, "has no assignment to U-HW dispatched at that instant", False),
    (UNIT, {}, END, [], "(no such case)", False),
])
def test_an_application_is_refused_with_the_reason(actor: Actor, changes: dict[str, object], now: int,
                                                   held: list[tuple[str, int]], says: str, forbidden: bool) -> None:
    refused = apply_for(draft(**changes), actor, now, END + 86_400_000, REASONS, held)
    assert isinstance(refused, Refusal) and says in refused.reason and refused.forbidden == forbidden


def test_the_centre_decides_with_a_reason_and_may_change_its_decision() -> None:
    made = apply_for(draft(), UNIT, END, END + 86_400_000, REASONS, HELD)
    assert isinstance(made, Application)
    assert isinstance(decide(made, "approve", UNIT, "ok", END), Refusal)
    assert isinstance(decide(made, "approve", ASSESSOR, "ok", END), Refusal)
    no_reason = decide(made, "approve", CENTRE, " ", END)
    assert isinstance(no_reason, Refusal) and "say why" in no_reason.reason
    approved_one = decide(made, "approve", CENTRE, "台风红色预警属实", END + 5)
    assert isinstance(approved_one, Application) and approved_one.status == "approved"
    again = decide(approved_one, "approve", CENTRE, "again", END + 6)
    assert isinstance(again, Refusal) and "already approved" in again.reason
    reversed_one = decide(approved_one, "reject", CENTRE, "复核：停工不在台风期间", END + 7)
    assert isinstance(reversed_one, Application) and reversed_one.decided_at == END + 7
    assert [(c.action, c.old, c.new) for c in reversed_one.history] == [
        ("apply", None, "pending"), ("approve", "pending", "approved"), ("reject", "approved", "rejected")]
    assert not exemptions_of([reversed_one]) and exemptions_of([approved_one]).kinds == {
        ("C1", "U-HW", AT): frozenset({"on_time"})}
