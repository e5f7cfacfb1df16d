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
from caseflow.evaluation.fed_terms import check_references
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
    """county-final: 70% the county-interim score (`points x scheme county-interim`) + 30% 细则 graded."""
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    directory, schemes = load_directory(tmp_path / "units.yaml"), load_schemes()
    start, end = month_bounds("2026-10")
    result = replay(generate(SHAPE), Period(start, end, end), rules, directory, schemes)
    final = load_templates()["county-final"]
    records = [Record("g1", "county-final", "U-000", "2026-10", "public-evaluation", "grade", "a", 0, points=12,
                      status="approved")]
    document = as_document(result, {"county-final": (final, records)}, directory.unit_class)
    totals = document["assessments"]["county-final"]["totals"]
    for unit, entry in document["units"].items():
        expected = 0.7 * entry["scores"]["county-interim"]["score"] + (12 if unit == "U-000" else 0)
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
