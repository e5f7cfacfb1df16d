"""Assessment templates: scoring (caps, floors, per occurrence, zeroing, judgement, automatic thresholds,
manual grades, bonus caps) on the built-in templates and small ones, and the load errors that name the
file, the item and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from caseflow.config.assessments import load_templates, parse_template
from caseflow.config.schemes import ConfigError
from caseflow.domain.assessment import Entry, Finding, Item, Threshold, automatic_points, score

TEMPLATES = load_templates()
DISTRICT = TEMPLATES["district-rules"]
PROVINCE = TEMPLATES["province-frame"]


def f(item: str, deduction: str, occurrences: int = 1, points: float | None = None) -> Finding:
    return Finding(item, deduction, occurrences, points, record=f"r-{item}-{deduction}")


@pytest.mark.parametrize(("findings", "organisation"), [
    ([], 20.0),
    ([f("org-structure", "no-leader")], 19.0),
    ([f("org-structure", "incomplete"), f("org-structure", "no-leader"), f("org-structure", "hotline-apart")], 16.0),
    ([f("org-structure", "hotline-apart"), f("org-structure", "hotline-apart"), f("org-structure", "hotline-apart")],
     16.0),  # three fixed 2-point findings on a 4-point item: floored at 0, never below
    ([f("system-operation", "fault-unreported", 3)], 17.0),  # 每次扣1分, three times
    ([f("system-operation", "fault-unreported", 12)], 12.0),  # 12 times on an 8-point item: 0, not -4
    ([f("system-operation", "misuse"), f("system-operation", "outside-network")], 12.0),  # 本项不得分
    ([f("contingency", "major-event-failed"), f("contingency", "no-plan")], 18.0),  # zeroed, then nothing more
    ([f("funding", "weak-funding", points=0.5)], 19.5),  # 酌情扣分
    ([f("funding", "weak-funding", points=9)], 18.0),  # judgement within the deduction's 2 points
    ([f("ledgers", "missing-ledger", 2), f("ledgers", "not-applied")], 17.0),
])
def test_district_organisation_deductions(findings: list[Finding], organisation: float) -> None:
    got = score(DISTRICT, {"collector_filing_rate": 0.8}, findings, [], [])
    assert got.sections["organisation"] == organisation
    assert got.total == organisation + 7.0


def test_zeroing_says_by_which_record_and_keeps_what_was_taken_before() -> None:
    got = score(DISTRICT, {}, [f("system-operation", "misuse"), f("system-operation", "outside-network")], [], [])
    item = got.items["system-operation"]
    assert item.points == 0.0 and item.zeroed_by == "r-system-operation-outside-network"
    assert item.taken[0] == ("r-system-operation-misuse", 2.0)


@pytest.mark.parametrize(("mode", "value", "points"), [
    ("all_or_nothing", 0.70, 7.0), ("all_or_nothing", 0.95, 7.0), ("all_or_nothing", 0.6999, 0.0),
    ("proportional", 0.35, 3.5), ("proportional", 0.70, 7.0), ("proportional", 1.0, 7.0), ("proportional", 0.0, 0.0),
    # a null rate (no reports, nothing due) scores as rules §7 scores a positive term: full points, not 0
    ("all_or_nothing", None, 7.0), ("proportional", None, 7.0), ("times_rate", None, 7.0),
    # `points x <rate>`: the item's points times the rate (60 x 按期结案率 at 7 points here)
    ("times_rate", 0.5, 3.5), ("times_rate", 0.0, 0.0), ("times_rate", 1.0, 7.0),
])
def test_automatic_threshold(mode: str, value: float | None, points: float) -> None:
    item = Item("filing-rate", "立案率", 7.0, "automatic", threshold=Threshold("collector_filing_rate", 0.7, mode))
    assert automatic_points(item, value) == pytest.approx(points)


def test_the_district_filing_rate_reads_the_region_indicator() -> None:
    assert score(DISTRICT, {"collector_filing_rate": 0.71}, [], [], []).items["filing-rate"].points == 7.0
    assert score(DISTRICT, {"collector_filing_rate": 0.69}, [], [], []).items["filing-rate"].points == 0.0


def test_manual_grades_the_latest_counts_within_the_item() -> None:
    grades = [Entry("collection-market", 10, "g1"), Entry("collection-market", 0, "g2"), Entry("groundwork-other", 25)]
    got = score(PROVINCE, {}, [], grades, [])
    assert got.items["collection-market"].points == 0.0  # the latest approved grade
    assert got.items["groundwork-other"].points == 20.0  # capped at the item's 20
    ungraded = score(PROVINCE, {}, [], [], []).items["collection-market"]
    assert ungraded.points == 0.0 and not ungraded.graded


def test_bonus_is_capped_by_the_item_and_the_template_and_added_outside_the_sections() -> None:
    one = score(PROVINCE, {}, [], [], [Entry("declared-bonus", 2, "b1"), Entry("declared-bonus", 2.5, "b2")])
    assert one.bonus == 4.5 and "bonus" in one.sections and one.sections["bonus"] == 0.0
    many = score(PROVINCE, {}, [], [], [Entry("declared-bonus", 4, "b1"), Entry("declared-bonus", 4, "b2")])
    assert many.bonus == 5.0 and many.total == sum(many.sections.values()) + 5.0


def test_the_template_cap_binds_all_bonus_items_together() -> None:
    raw = {"id": "t", "assessed": "units", "bonus_cap": 3, "sections": [{"id": "extra", "items": [
        {"id": "b1", "points": 2, "scoring": "bonus"}, {"id": "b2", "points": 2, "scoring": "bonus"}]}]}
    template = parse_template(raw, "t.yaml")
    got = score(template, {}, [], [], [Entry("b1", 2), Entry("b2", 1.5)])
    assert (got.items["b1"].points, got.items["b2"].points, got.bonus, got.total) == (2.0, 1.5, 3.0, 3.0)


def test_province_total_from_indicators_findings_grades_and_bonus() -> None:
    indicators = {"active_discovery_rate": 0.25, "on_time_rate": 0.95, "resolution_rate": 0.45}
    got = score(PROVINCE, indicators, [f("inspection-findings", "unreported-problem", 4)],
                [Entry("collection-market", 10), Entry("groundwork-other", 18)], [Entry("declared-bonus", 3)])
    assert got.sections == {"groundwork": 28.0, "results": 5.0 + 15.0 + 7.5, "operation": 26.0, "bonus": 0.0}
    assert got.total == pytest.approx(28 + 27.5 + 26 + 3)


def test_an_item_that_may_go_negative() -> None:
    raw = {"id": "t", "assessed": "units", "sections": [{"id": "s", "items": [
        {"id": "i", "points": 2, "scoring": "deductions", "may_go_negative": True,
         "deductions": [{"id": "d", "label": "每次", "kind": "per_occurrence", "points": 1}]}]}]}
    template = parse_template(raw, "t.yaml")
    assert score(template, {}, [f("i", "d", 5)], [], []).total == -3.0


def test_an_item_worth_its_points_times_a_rate_and_a_street_without_reports() -> None:
    """`points x on_time_close_rate` gives 60 x 按期结案率; a street with no reports in the month (its
    rates null) keeps an automatic item's points, as the schemes score a null rate (rules §7)."""
    raw = {"id": "t", "assessed": "regions", "sections": [{"id": "s", "items": [
        {"id": "closing", "name": "问题解决", "points": 60, "scoring": "automatic", "rule": "points x resolution_rate"},
        {"id": "filing", "name": "立案率", "points": 7, "scoring": "automatic",
         "rule": "collector_filing_rate >= 70%"}]}]}
    template = parse_template(raw, "t.yaml")
    assert score(template, {"resolution_rate": 0.85, "collector_filing_rate": 0.5}, [], [], []).total == 51.0
    assert score(template, {"resolution_rate": None, "collector_filing_rate": None}, [], [], []).total == 67.0


def _template(**changes: object) -> dict[str, object]:
    raw = yaml.safe_load("""
id: t
assessed: units
sections:
  - id: s
    points: 5
    must_add_up: true
    items:
      - {id: a, name: A, points: 3, scoring: deductions, deductions: [{id: d, label: D, kind: fixed, points: 1}]}
      - {id: b, name: B, points: 2, scoring: automatic, rule: "on_time_rate >= 90%"}
""")
    raw.update(changes)
    return raw  # type: ignore[no-any-return]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["sections"][0].update(points=6), "section 's': its items add up to 5 points, the section says 6"),
    (lambda r: r["sections"][0]["items"][1].update(rule="wrong_rate >= 90%"),
     "item 'b': unknown indicator 'wrong_rate'"),
    (lambda r: r["sections"][0]["items"][1].update(rule="on_time_rate > 0.9"), "item 'b': cannot read rule"),
    (lambda r: r["sections"][0]["items"][1].update(below="sometimes"), "item 'b': `below` is one of"),
    (lambda r: r["sections"][0]["items"][1].update(rule="points x dispatched"), "dispatched is a count, not a rate"),
    (lambda r: r["sections"][0]["items"][1].update(rule="points x made_up_rate"), "unknown indicator 'made_up_rate'"),
    (lambda r: r["sections"][0]["items"][0].update(scoring="vibes"), "item 'a': `scoring` is one of"),
    (lambda r: r["sections"][0]["items"][0].update(points=-1), "item 'a': `points` is a number of points"),
    (lambda r: r["sections"][0]["items"][0]["deductions"][0].update(kind="double"),
     "item 'a' deduction 1: `kind` is one of"),
    (lambda r: r["sections"][0]["items"][0]["deductions"][0].update(points=0), "a fixed deduction takes points"),
    (lambda r: r["sections"][0]["items"][0].update(deductions=[]), "item 'a': a deductions item lists its"),
    (lambda r: r["sections"][0]["items"][1].update(id="a"), "item ids are unique within a template; twice: a"),
    (lambda r: r.update(assessed="towns"), "`assessed` is one of units, regions, both"),
    (lambda r: r.update(periods=["monthly"]), "`periods` lists some of day, month, quarter, year, got ['monthly']"),
    (lambda r: r.update(periods=[]), "`periods` lists some of"),
    (lambda r: r.update(rank_within="district"), "`rank_within` is all, or class for a template that assesses units"),
    (lambda r: r.update(assessed="regions", rank_within="class"), "`rank_within` is all, or class"),
    (lambda r: r["sections"][0]["items"][1].update(rule="collector_filing_rate >= 70%"),
     "unknown indicator 'collector_filing_rate' for units"),
])
def test_a_wrong_template_is_refused_with_file_item_and_reason(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    raw = _template()
    parse_template(raw, "mine.yaml")  # the unedited one loads
    edit(raw)
    with pytest.raises(ConfigError) as err:
        parse_template(raw, "mine.yaml")
    assert str(err.value).startswith("mine.yaml") and message in str(err.value), str(err.value)


def test_an_operators_template_replaces_the_built_in_of_its_id(tmp_path: Path) -> None:
    raw = _template(id="district-rules", name="本区细则")
    (tmp_path / "ours.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    found = load_templates(tmp_path)
    assert found["district-rules"].name == "本区细则" and "province-frame" in found
    (tmp_path / "bad.yaml").write_text("id: x\nsections: [1", "utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not YAML"):
        load_templates(tmp_path)


@pytest.mark.parametrize(("period", "kind"), [("2026-10-08", "day"), ("2026-10", "month"), ("2026-Q4", "quarter"),
                                              ("2026", "year")])
def test_a_template_applies_to_the_periods_it_names(period: str, kind: str) -> None:
    assert DISTRICT.applies_to(period) is (kind in ("month", "year"))
    assert PROVINCE.applies_to(period) is (kind == "year")
