"""Window reminders (issue #32): told inside the lead before the window closes, never before or after,
only for what is left to do; the id names the window, so a second run finds nothing new to tell."""

from __future__ import annotations

from dataclasses import replace

from caseflow.config.assessments import load_templates
from caseflow.contract.alert import Reason
from caseflow.domain.assessment_records import Appeal, Record
from caseflow_scoring.notices import DAY
from caseflow_scoring.reminding import Lead, appeal_reminders, exemption_reminders

TEMPLATES = load_templates()
T0 = 1_790_000_000_000
HOUR = 3_600_000


def finding(record_id: str, approved_at: int | None, status: str = "approved", **more: object) -> Record:
    return replace(Record(record_id, "district-rules", "R-A", "2026-10", "org-structure", "finding", "", T0),
                   status=status, approved_at=approved_at, **more)  # type: ignore[arg-type]


def link(unit: str) -> str:
    return f"https://s/units/{unit}/standing"


def test_an_unappealed_finding_is_reminded_within_the_lead_and_only_then() -> None:
    lead, closes = Lead(24 * HOUR), T0 + 7 * DAY
    record = finding("f1", T0)
    for now, told in ((closes - 25 * HOUR, 0), (closes - 24 * HOUR, 1), (closes - 1, 1), (closes, 0)):
        assert len(appeal_reminders([record], TEMPLATES, now, 7, lead, link)) == told, now
    [one] = appeal_reminders([record], TEMPLATES, closes - HOUR, 7, lead, link)
    assert one.reason is Reason.APPEAL_WINDOW_CLOSING and one.unit == "R-A" and one.link == link("R-A")
    assert "申诉期将于" in one.detail and "尚未申诉" in one.detail
    assert appeal_reminders([record], TEMPLATES, closes - 2 * HOUR, 7, lead, link)[0].alert_id == one.alert_id
    appealed = replace(record, appeal=Appeal("有异议", T0 + DAY))
    for quiet in (appealed, finding("f2", T0, status="submitted"), finding("f3", None)):
        assert appeal_reminders([quiet], TEMPLATES, closes - HOUR, 7, lead, link) == []
    assert appeal_reminders([record], TEMPLATES, closes - HOUR, 7, Lead(0), link) == []  # reminders off


def test_units_with_cases_left_to_apply_for_are_reminded_once_per_month() -> None:
    lead, closes = Lead(24 * HOUR), T0
    told = exemption_reminders("2026-10", closes, {"U-1": 3, "U-2": 0}, closes - HOUR, lead, link)
    assert [(n.unit, n.reason) for n in told] == [("U-1", Reason.EXEMPTION_WINDOW_CLOSING)]
    assert "尚有 3 件" in told[0].detail and "2026-10" in told[0].detail
    again = exemption_reminders("2026-10", closes, {"U-1": 1}, closes - 2 * HOUR, lead, link)
    assert again[0].alert_id == told[0].alert_id  # the same window: the same reminder
    assert exemption_reminders("2026-10", closes, {"U-1": 3}, closes - 2 * DAY, lead, link) == []
    assert exemption_reminders("2026-10", closes, {"U-1": 3}, closes, lead, link) == []
