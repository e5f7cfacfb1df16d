"""Assessments in period documents (pure): a template's part (totals and frozen records), what audit
reports when totals or records differ, what waits for a decision, and the workbook's sheet rows."""

from __future__ import annotations

from dataclasses import replace

from caseflow.config.assessments import load_templates, parse_template
from caseflow.domain.assessment import Scored
from caseflow.domain.assessment_records import Appeal, Record
from caseflow.evaluation.assessments import assessment_parts, awaiting, ranked_rows, ranks
from caseflow.replay.audit import Difference, compare
from caseflow.replay.audit_cli import render
from caseflow.replay.report_assessments import sheet_rows

DISTRICT = load_templates()["district-rules"]
DOC = {"period": {}, "units": {}, "listings": {},
       "regions": {"R-A": {"collector_filing_rate": 0.9}, "R-B": {"collector_filing_rate": 0.5}}}
FINDING = Record("r1", "district-rules", "R-A", "2026-10", "org-structure", "finding", "assessor", 0,
                 deduction="hotline-apart", evidence="96310 未合署", files=("sha256:bb", "sha256:aa"),
                 status="approved", approved_at=1)


def with_part(records: list[Record]) -> dict[str, object]:
    return {**DOC, "assessments": assessment_parts({"district-rules": (DISTRICT, records)}, DOC, {})}


def test_the_part_has_every_subjects_total_and_every_record_as_it_stands() -> None:
    part = assessment_parts({"district-rules": (DISTRICT, [FINDING])}, DOC, {})["district-rules"]
    assert part["on"] == "regions" and part["rank_within"] == "all"
    assert part["totals"]["R-A"]["rank"] == 1 and part["totals"]["R-B"]["rank"] == 2
    assert part["totals"]["R-A"]["total"] == 25.0 and part["totals"]["R-B"]["total"] == 20.0
    assert part["totals"]["R-A"]["items"]["org-structure"] == 2.0
    assert part["records"]["r1"] == {
        "subject": "R-A", "item": "org-structure", "kind": "finding", "status": "approved", "counts": True,
        "points": None, "deduction": "hotline-apart", "occurrences": 1, "evidence": "96310 未合署",
        "files": ["sha256:aa", "sha256:bb"], "appeal": None}


def test_audit_reports_a_reversed_appeal_as_a_record_and_a_total_difference() -> None:
    reversed_ = replace(FINDING, appeal=Appeal("已合署", 2, ("sha256:cc",), "reversed", "approver", "属实"))
    found = compare(with_part([FINDING]), with_part([reversed_]))
    assert [d for d in found if d.scope == "assessment"] == [
        Difference("assessment", "district-rules/R-A", "items.org-structure", 2.0, 4.0),
        Difference("assessment", "district-rules/R-A", "sections.organisation", 18.0, 20.0),
        Difference("assessment", "district-rules/R-A", "total", 25.0, 27.0)]
    assert [d for d in found if d.scope == "record"] == [
        Difference("record", "district-rules/r1", "appeal.files", None, ["sha256:cc"]),
        Difference("record", "district-rules/r1", "appeal.status", None, "reversed"),
        Difference("record", "district-rules/r1", "counts", True, False)]
    text = render(found, "header")
    assert "1 assessment total(s), 1 assessment record(s)" in text
    assert "record district-rules/r1  counts: replay True  live False" in text


def test_a_record_on_one_side_only_and_a_template_on_one_side_only() -> None:
    assert {d.key for d in compare(with_part([]), with_part([FINDING])) if d.scope == "record"} >= {
        "status", "item", "subject"}
    assert compare(with_part([]), {**DOC, "assessments": {}}) == [
        Difference("assessment", "district-rules", "template", "regions", None)]
    assert compare(with_part([FINDING]), DOC) == []  # one side without assessments: not compared


def test_records_waiting_for_a_decision() -> None:
    waiting = [replace(FINDING, id="s", status="submitted"), replace(FINDING, id="v", status="verified"),
               replace(FINDING, id="a", appeal=Appeal("x", 2)), replace(FINDING, id="d", status="draft"),
               FINDING, replace(FINDING, id="w", status="withdrawn"),
               replace(FINDING, id="u", appeal=Appeal("x", 2, status="upheld"))]
    assert awaiting(waiting) == ["s", "v", "a"]


def test_the_sheet_ranks_subjects_and_lists_each_record_under_its_item() -> None:
    part = assessment_parts({"district-rules": (DISTRICT, [FINDING])}, DOC, {})["district-rules"]
    rows = sheet_rows(DISTRICT, part, {"R-A": "甲街道"})
    totals = [r for r in rows if r[3] == "合计 total"]
    assert [(r[0], r[1], r[2], r[6]) for r in totals] == [(1, "R-A", "甲街道", 25.0), (2, "R-B", "R-B", 20.0)]
    under = rows.index(next(r for r in rows if r[1] == "R-A" and "org-structure" in str(r[4])))
    record = rows[under + 1]
    assert record[7:] == ["r1", "扣分 finding", "96310 未合署办公", 1, None, "已批准 approved", "是 yes",
                          "96310 未合署", "sha256:aa sha256:bb", ""]


def _scored(total: float) -> Scored:
    return Scored(total, 0.0, {}, {})


def test_equal_totals_share_a_rank_and_units_rank_within_their_class_when_the_template_says() -> None:
    raw = {"id": "t", "assessed": "both", "rank_within": "class", "sections": [{"id": "s", "items": [
        {"id": "g", "name": "G", "points": 10, "scoring": "manual"}]}]}
    template = parse_template(raw, "t.yaml")
    scored = {s: _scored(t) for s, t in (("U1", 9), ("U2", 9), ("U3", 7), ("U4", 8), ("R1", 5), ("R2", 6))}
    classes = {"U1": 1, "U2": 1, "U3": 1, "U4": 2}
    assert ranks(template, scored, {"U1", "U2", "U3", "U4"}, classes) == {
        "U1": 1, "U2": 1, "U3": 3, "U4": 1, "R2": 1, "R1": 2}
    everyone = parse_template({**raw, "rank_within": "all"}, "t.yaml")
    assert ranks(everyone, scored, {"U1", "U2", "U3", "U4"}, classes) == {
        "U1": 1, "U2": 1, "U4": 3, "U3": 4, "R2": 1, "R1": 2}
    part = {"rank_within": "class", "totals": {s: {"total": v.total, "bonus": 0.0, "sections": {},
                                                   "rank": r} for s, v in scored.items()
                                               for r in [ranks(template, scored, set(classes), classes)[s]]}}
    assert [(r["subject"], r["rank"]) for r in ranked_rows(part, {}, classes)] == [
        ("U1", 1), ("U2", 1), ("U3", 3), ("U4", 1), ("R2", 1), ("R1", 2)]
