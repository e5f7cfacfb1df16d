"""suning-2011's `other` (10 points, 部门评价 + 社会评价) is fed by the suning-2011-other template (issue #31):
grading the template changes the scheme's score, in replay as in live scoring; a unit not graded keeps
`other` missing, as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.config.assessments import load_templates, parse_template
from caseflow.config.schemes import ConfigError, load_schemes, parse_scheme
from caseflow.config.units import load_directory
from caseflow.domain.assessment_records import Record
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.fed_terms import bound_to_schemes, check_references
from caseflow.evaluation.periods import month_bounds
from caseflow.replay.engine import replay, with_fed_scores
from caseflow.replay.output import as_document
from caseflow.sample.generate import Shape, generate, units_yaml

SHAPE = Shape(cases=150, units=4, regions=2, seed=23)


def grade(rid: str, unit: str, item: str, points: float, status: str = "approved") -> Record:
    return Record(rid, "suning-2011-other", unit, "2026-10", item, "grade", "assessor", 0, points=points,
                  status=status)


def test_the_templates_total_is_the_schemes_other(rules: Rules, tmp_path: Path) -> None:
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    directory, schemes = load_directory(tmp_path / "units.yaml"), load_schemes()
    start, end = month_bounds("2026-10")
    result = replay(generate(SHAPE), Period(start, end, end), rules, directory, schemes)
    records = [grade("g1", "U-000", "department-evaluation", 4), grade("g2", "U-000", "public-evaluation", 5),
               grade("g3", "U-001", "department-evaluation", 3, status="submitted")]  # not approved: not fed
    fed = with_fed_scores(result, schemes, directory, None,
                          {"suning-2011-other": (load_templates()["suning-2011-other"], records)})
    before, after = result.scores["suning-2011"], fed.scores["suning-2011"]
    assert before["U-000"]["missing"] == ["other"] and "missing" not in after["U-000"]
    assert after["U-000"]["score"] == pytest.approx(before["U-000"]["score"] + 9)
    assert after["U-001"] == before["U-001"] and after["U-001"]["missing"] == ["other"]
    assert fed.scores["county-interim"] == result.scores["county-interim"]  # no fed term: as it was
    assert with_fed_scores(result, schemes, directory, None, None).scores == result.scores


def test_manual_from_names_a_manual_term() -> None:
    raw = {"id": "s", "terms": [{"weight": 90, "key": "on_time_rate"}, {"weight": 10, "manual": "other"}]}
    assert parse_scheme({**raw, "manual_from": {"other": "t"}}, "s.yaml").manual_from == {"other": "t"}
    with pytest.raises(ConfigError, match="names 'others', not a manual term of the scheme"):
        parse_scheme({**raw, "manual_from": {"others": "t"}}, "s.yaml")


def test_a_template_item_worth_a_schemes_score_gives_one_final_score(rules: Rules, tmp_path: Path) -> None:
    """county-final: 70 x the county-interim score as a share of its full marks (109: 70 + 30 + 9) + 30 x the
    county-rules template's total (`points x template county-rules`): 40 of its 100 points give 12."""
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    directory, schemes = load_directory(tmp_path / "units.yaml"), load_schemes()
    start, end = month_bounds("2026-10")
    result = replay(generate(SHAPE), Period(start, end, end), rules, directory, schemes)
    templates = bound_to_schemes(schemes, load_templates())
    assert schemes["county-interim"].full_marks() == 109
    records = [Record("g1", "county-rules", "U-000", "2026-10", "public-evaluation", "grade", "a", 0, points=40,
                      status="approved")]
    assessed = {"county-final": (templates["county-final"], []), "county-rules": (templates["county-rules"], records)}
    document = as_document(result, assessed, directory.unit_class)
    assert document["assessments"]["county-rules"]["totals"]["U-000"]["total"] == 40
    totals = document["assessments"]["county-final"]["totals"]
    for unit, entry in document["units"].items():
        expected = 70 * entry["scores"]["county-interim"]["score"] / 109 + (12 if unit == "U-000" else 0)
        assert totals[unit]["total"] == pytest.approx(expected)
    assert {totals[u]["rank"] for u in totals} >= {1}


def test_references_between_schemes_and_templates_are_checked() -> None:
    schemes, templates = load_schemes(), load_templates()
    check_references(schemes, templates)
    with pytest.raises(ConfigError, match="score scheme 'county-interim', not a unit-score scheme loaded"):
        check_references({k: v for k, v in schemes.items() if k != "county-interim"}, templates)
    with pytest.raises(ConfigError, match="manual_from names template\\(s\\) not loaded: suning-2011-other"):
        check_references(schemes, {k: v for k, v in templates.items() if k != "suning-2011-other"})
    raw = {"id": "t", "assessed": "regions", "sections": [{"id": "s", "items": [
        {"id": "i", "name": "I", "points": 70, "scoring": "automatic", "rule": "points x scheme county-interim"}]}]}
    with pytest.raises(ConfigError, match="scores units; this template assesses regions"):
        parse_template(raw, "t.yaml")


def _scoring(tid: str, *used: str, assessed: str = "units", periods: tuple[str, ...] = ("month",)) -> dict[str, object]:
    return {"id": tid, "assessed": assessed, "periods": list(periods), "sections": [{"id": "s", "items": [
        {"id": f"i-{u}", "name": u, "points": 10, "scoring": "automatic", "rule": f"points x template {u}"}
        for u in used] or [{"id": "g", "name": "G", "points": 10, "scoring": "manual"}]}]}


@pytest.mark.parametrize(("raws", "message"), [
    ([_scoring("a", "nope")], "`points x template nope`: no such template"),
    ([_scoring("a", "b"), _scoring("b", "a")], "score each other in a circle: a -> b -> a"),
    ([_scoring("a", "a")], "in a circle: a -> a"),
    ([_scoring("a", "b"), _scoring("b", assessed="regions")], "assesses units and cannot score template b"),
    ([_scoring("a", "b", periods=("month", "year")), _scoring("b")], "scores template b, which is for month only"),
])
def test_a_template_scoring_templates_is_checked_at_load(tmp_path: Path, raws: list[dict[str, object]],
                                                          message: str) -> None:
    import yaml
    for raw in raws:
        (tmp_path / f"{raw['id']}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", "\\(")):
        load_templates(tmp_path)


def test_templates_are_scored_after_the_ones_they_score() -> None:
    """a = 10 x b; b = 10 x c; c graded 5 of 10: c 5, b 5, a 5 — whatever order they are given in."""
    from caseflow.config.assessments import parse_template as parsed
    from caseflow.evaluation.assessments import scored_in_order
    a, b, c = parsed(_scoring("a", "b"), "a"), parsed(_scoring("b", "c"), "b"), parsed(_scoring("c"), "c")
    graded = [Record("r", "c", "U-1", "2026-10", "g", "grade", "x", 0, points=5, status="approved")]
    document = {"units": {"U-1": {}, "U-2": {}}, "regions": {}}
    scored = scored_in_order({"a": (a, []), "b": (b, []), "c": (c, graded)}, document)
    assert {t: scored[t]["U-1"].total for t in "abc"} == {"a": 5, "b": 5, "c": 5}
    assert {t: scored[t]["U-2"].total for t in "abc"} == {"a": 0, "b": 0, "c": 0}
    with pytest.raises(ConfigError, match="template\\(s\\) b are scored by another template"):
        scored_in_order({"a": (a, [])}, document)
