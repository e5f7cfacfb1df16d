"""The assessment record workflow: draft -> submitted -> approved (a bonus verified on the way) or
withdrawn; appeals within the days, upheld or reversed; roles; every change kept; and what reaches the
score (approved, not reversed)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from caseflow.config.assessments import load_templates
from caseflow.domain.assessment import score
from caseflow.domain.assessment_records import DAY, Actor, Command, Record, Refusal, create, decide, inputs_of

ASSESSOR, APPROVER = Actor("li", "assessor"), Actor("wang", "approver")
TOWN, OTHER_TOWN = Actor("town-a", "unit", "R-A"), Actor("town-b", "unit", "R-B")
T0 = 1_790_000_000_000


def finding(**changes: object) -> Record:
    draft = Record("f1", "district-rules", "R-A", "2026-10", "org-structure", "finding", "", T0,
                   deduction="no-leader", evidence="2026-10-12 检查：无分管领导任命文件")
    made = create(replace(draft, **changes), ASSESSOR)
    assert isinstance(made, Record)
    return made


def run(record: Record, *steps: tuple[str, Actor] | tuple[str, Actor, str], at: int = T0) -> Record | Refusal:
    current: Record | Refusal = record
    for step in steps:
        assert isinstance(current, Record), current
        action, actor, *why = step
        current = decide(current, Command(str(action), actor, str(why[0]) if why else "因为"), at)
    return current


def test_a_finding_goes_draft_submitted_approved_and_counts() -> None:
    record = run(finding(), ("submit", ASSESSOR), ("approve", APPROVER))
    assert isinstance(record, Record) and record.status == "approved" and record.counts
    assert [(c.action, c.old, c.new) for c in record.history] == [
        ("create", None, "finding"), ("submit", "draft", "submitted"), ("approve", "submitted", "approved")]
    template = load_templates()["district-rules"]
    assert score(template, {}, *inputs_of([record]), ).sections["organisation"] == 19.0


@pytest.mark.parametrize(("steps", "refusal"), [
    ([("approve", APPROVER)], "cannot approve a draft record"),
    ([("submit", APPROVER)], "a approver may not submit"),
    ([("submit", ASSESSOR), ("approve", ASSESSOR)], "a assessor may not approve"),
    ([("submit", ASSESSOR), ("verify", ASSESSOR)], "only a bonus is verified"),
    ([("submit", TOWN)], "findings and grades are the assessors'"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("withdraw", ASSESSOR)], "cannot withdraw a approved record"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("appeal", OTHER_TOWN, "不服")], "only the assessed unit"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("appeal", TOWN, " ")], "an appeal gives its reason"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("uphold", APPROVER)], "no open appeal"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("appeal", TOWN, "有文件"), ("reverse", ASSESSOR, "x")],
     "the one who recorded the finding does not decide its appeal"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("appeal", TOWN, "有文件"), ("uphold", TOWN, "x")],
     "an assessor or an approver decides an appeal"),
    ([("submit", ASSESSOR), ("approve", APPROVER), ("appeal", TOWN, "有文件"), ("appeal", TOWN, "再诉")],
     "appealed already"),
])
def test_what_the_workflow_refuses(steps: list[tuple[str, Actor]], refusal: str) -> None:
    got = run(finding(), *steps)
    assert isinstance(got, Refusal) and refusal in got.reason, got


def test_the_recorder_does_not_approve_their_own_record() -> None:
    record = finding()
    record = replace(record, created_by="wang")
    got = run(record, ("submit", ASSESSOR), ("approve", APPROVER))
    assert isinstance(got, Refusal) and "does not approve it" in got.reason


def test_an_appeal_reversed_takes_the_deduction_back_upheld_keeps_it() -> None:
    approved = run(finding(), ("submit", ASSESSOR), ("approve", APPROVER))
    assert isinstance(approved, Record)
    appealed = decide(approved, Command("appeal", TOWN, "已于9月任命分管领导，附文件", files=("sha256:ab",)), T0 + DAY)
    assert isinstance(appealed, Record) and appealed.appeal is not None and appealed.counts  # counts until decided
    reversed_ = decide(appealed, Command("reverse", APPROVER, "文件属实"), T0 + 2 * DAY)
    upheld = decide(appealed, Command("uphold", Actor("zhao", "assessor"), "文件日期晚于检查"), T0 + 2 * DAY)
    assert isinstance(reversed_, Record) and isinstance(upheld, Record)
    assert not reversed_.counts and upheld.counts
    template = load_templates()["district-rules"]
    assert score(template, {}, *inputs_of([reversed_])).sections["organisation"] == 20.0
    assert score(template, {}, *inputs_of([upheld])).sections["organisation"] == 19.0
    assert [c.action for c in reversed_.history][-2:] == ["appeal", "reverse"]
    assert reversed_.appeal is not None and reversed_.appeal.decided_by == "wang"
    assert upheld.appeal is not None and upheld.appeal.decided_by == "zhao"  # another assessor may decide


def test_the_appeal_window() -> None:
    approved = run(finding(), ("submit", ASSESSOR), ("approve", APPROVER))
    assert isinstance(approved, Record)
    in_time = decide(approved, Command("appeal", TOWN, "理由"), T0 + 7 * DAY, appeal_days=7)
    late = decide(approved, Command("appeal", TOWN, "理由"), T0 + 7 * DAY + 1, appeal_days=7)
    assert isinstance(in_time, Record)
    assert isinstance(late, Refusal) and "7 days to appeal ended" in late.reason


def test_a_bonus_is_declared_by_the_unit_verified_then_approved() -> None:
    draft = Record("b1", "province-frame", "R-A", "2026", "declared-bonus", "bonus", "", T0, points=2.0,
                   evidence="省级示范街道", files=("sha256:cd",))
    assert isinstance(create(draft, OTHER_TOWN), Refusal)  # not its own
    assert isinstance(create(replace(draft, kind="finding"), TOWN), Refusal)
    made = create(draft, TOWN)
    assert isinstance(made, Record)
    skipped = run(made, ("submit", TOWN), ("approve", APPROVER))
    assert isinstance(skipped, Refusal) and "verified by an assessor before" in skipped.reason
    done = run(made, ("submit", TOWN), ("verify", ASSESSOR), ("approve", APPROVER))
    assert isinstance(done, Record) and done.counts
    assert inputs_of([done])[2][0].points == 2.0


def test_edits_only_in_draft_each_kept_with_old_and_new() -> None:
    record = finding()
    changes = (("deduction", "incomplete"), ("evidence", "新"))
    edited = decide(record, Command("edit", ASSESSOR, "核对次数", changes), T0)
    assert isinstance(edited, Record) and edited.deduction == "incomplete"
    assert [(c.action, c.old, c.new, c.why) for c in edited.history[1:]] == [
        ("edit deduction", "no-leader", "incomplete", "核对次数"), ("edit evidence", record.evidence, "新", "核对次数")]
    bad = decide(record, Command("edit", ASSESSOR, "x", (("status", "approved"),)), T0)
    assert isinstance(bad, Refusal) and "cannot edit status" in bad.reason
    submitted = run(record, ("submit", ASSESSOR))
    assert isinstance(submitted, Record)
    late = decide(submitted, Command("edit", ASSESSOR, "x", (("points", 1.0),)), T0)
    assert isinstance(late, Refusal) and "withdraw it and record a new one" in late.reason


def test_withdrawn_and_unapproved_records_do_not_count() -> None:
    draft = finding()
    withdrawn = run(finding(id="f2"), ("submit", ASSESSOR), ("withdraw", ASSESSOR, "重复记录"))
    assert isinstance(withdrawn, Record) and withdrawn.status == "withdrawn"
    assert inputs_of([draft, withdrawn]) == ([], [], [])
