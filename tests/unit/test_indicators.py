"""Indicators and schemes on a small month computed by hand from the seeds' formulas."""

from __future__ import annotations

from typing import Any

import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import parse_directory
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import replay
from tests.support.events import ev, lines

H2 = {"time_limit": {"value": 2, "unit": "working_hours"}}
UNITS = parse_directory({"units": [{"id": "U1", "class": 1}, {"id": "U2", "class": 1}, {"id": "U3", "class": 2}],
                         "regions": [{"id": "linping"}, {"id": "donghu"}]}, "test")


def case(cid: str, reported: str, grid: str, road: str = "secondary", **report: Any) -> list[dict[str, Any]]:
    return [ev("reported", cid, reported, grid=grid, road_grade=road, **report),
            ev("filed", cid, reported[:11] + "08:05")]


def month() -> list[dict[str, Any]]:
    e: list[dict[str, Any]] = []
    e += case("A", "2026-10-08 08:00", "G1", "primary")
    e += [ev("dispatched", "A", "2026-10-08 09:00", unit="U1", time_limit={"value": 4, "unit": "working_hours"}),
          ev("disposed", "A", "2026-10-08 14:30", unit="U1"), ev("closed", "A", "2026-10-08 16:00")]
    e += case("B", "2026-10-09 08:00", "G1", "primary")  # second on a primary road: a repeat
    e += [ev("dispatched", "B", "2026-10-09 09:00", unit="U1", **H2),
          ev("disposed", "B", "2026-10-09 15:00", unit="U1"), ev("closed", "B", "2026-10-09 16:00")]
    e += case("C", "2026-10-12 08:00", "G3")
    e += [ev("dispatched", "C", "2026-10-12 09:00", unit="U1", **H2)]  # never disposed: overdue
    e += case("D", "2026-10-30 08:00", "G4")
    e += [ev("dispatched", "D", "2026-10-30 17:00", unit="U1", time_limit={"value": 1, "unit": "working_days"})]
    e += case("E", "2026-10-13 08:00", "G5")
    e += [ev("dispatched", "E", "2026-10-13 09:00", unit="U1", **H2),
          ev("disposed", "E", "2026-10-13 10:00", unit="U1"), ev("reworked", "E", "2026-10-13 10:30", unit="U1"),
          ev("disposed", "E", "2026-10-13 14:00", unit="U1"), ev("closed", "E", "2026-10-13 15:00")]
    e += case("F", "2026-10-14 08:00", "G6")
    e += [ev("dispatched", "F", "2026-10-14 09:00", unit="U2", **H2),
          ev("returned", "F", "2026-10-14 10:00", unit="U2"),
          ev("dispatched", "F", "2026-10-14 10:30", unit="U3", **H2),
          ev("suspended", "F", "2026-10-14 11:00", unit="U3")]
    e += case("G", "2026-10-15 08:00", "G7")
    e += [ev("dispatched", "G", "2026-10-15 09:00", unit="U3", **H2),
          ev("extended", "G", "2026-10-15 10:00", unit="U3", extra={"value": 4, "unit": "working_hours"}),
          ev("disposed", "G", "2026-10-15 16:00", unit="U3"),
          ev("visited", "G", "2026-10-20 10:00", result="satisfied"),
          ev("visited", "G", "2026-10-21 10:00", result="unsatisfied"),
          ev("visited", "G", "2026-10-22 10:00", result="satisfied", valid=False)]
    e += [ev("reported", "H", "2026-10-16 09:00", region="donghu", source="public"),
          ev("invalidated", "H", "2026-10-16 10:00")]
    return e


@pytest.fixture(scope="module")
def result(rules: Rules):  # type: ignore[no-untyped-def]
    return replay(lines(month()), make_period("2026-10", None, None, None), rules, UNITS, load_schemes())


def test_unit_counts(result) -> None:  # type: ignore[no-untyped-def]
    u1 = result.indicators.units["U1"]
    assert {k: u1[k] for k in ("dispatched", "returned", "due", "disposed", "on_time", "late_disposed",
                               "overdue_open", "pending", "reworked", "closed", "closed_on_time", "repeat")} == {
        "dispatched": 5, "returned": 0, "due": 4, "disposed": 3, "on_time": 2, "late_disposed": 1,
        "overdue_open": 1, "pending": 1, "reworked": 1, "closed": 3, "closed_on_time": 2, "repeat": 1}
    u3 = result.indicators.units["U3"]
    assert (u3["dispatched"], u3["due"], u3["pending"], u3["suspended"], u3["extended"]) == (2, 1, 1, 1, 1)
    assert (u3["visits"], u3["satisfied"], u3["satisfaction_rate"]) == (2, 1, 0.5)
    assert result.indicators.units["U2"]["returned"] == 1


def test_unit_rates(result) -> None:  # type: ignore[no-untyped-def]
    u1 = result.indicators.units["U1"]
    assert (u1["disposal_rate"], u1["on_time_rate"], u1["close_rate"], u1["rework_rate"]) == (0.75, 0.5, 0.75, 0.25)
    assert (u1["intact_rate"], u1["repeat_rate"], u1["workload_ratio"]) == (0.75, 0.25, 1.0)
    assert u1["satisfaction_rate"] is None
    u2 = result.indicators.units["U2"]
    assert u2["disposal_rate"] is None and u2["workload_ratio"] == 0.0
    assert result.indicators.units["U3"]["workload_ratio"] == pytest.approx(1 / 3)


def test_region_indicators(result) -> None:  # type: ignore[no-untyped-def]
    assert result.indicators.regions["linping"] == {
        "reported": 7, "filed": 7, "collector_filing_rate": 1.0, "active_discovery_rate": 1.0,
        "resolution_rate": 0.6, "timely_resolution_rate": 0.4,
        "on_time_rate": 0.6}  # U1's A and B, U3's G (extended to 17:00, disposed 16:00) of 5 due
    donghu = result.indicators.regions["donghu"]
    assert (donghu["reported"], donghu["filed"], donghu["collector_filing_rate"]) == (1, 0, None)


def test_county_interim(result) -> None:  # type: ignore[no-untyped-def]
    s = result.scores["county-interim"]
    assert s["U1"]["score"] == pytest.approx(70 * 0.75 + 30 * 0.5 + 9 * 1 - 20 * (1 / 3))
    assert s["U3"]["score"] == pytest.approx(70 + 30 + 9 / 3)
    assert (s["U1"]["rank"], s["U2"]["rank"], s["U3"]["rank"]) == (1, None, 1)  # ranked within class


@pytest.mark.parametrize(("reworked", "disposed", "deduction"), [
    (0, 10, 0.0), (5, 10, 10.0), (10, 10, 20.0), (11, 10, 20.0), (30, 10, 20.0), (3, 0, 0.0)])
def test_county_interim_rework_deduction_is_capped_at_20(reworked: int, disposed: int, deduction: float) -> None:
    """rules §7: - min(20, 20*(reworked/disposed)); a null ratio (nothing disposed) deducts nothing."""
    from caseflow.domain.schemes import score

    scheme = load_schemes()["county-interim"]
    row = {"disposal_rate": 1.0, "on_time_rate": 1.0, "workload_ratio": 1.0, "reworked": reworked,
           "disposed": disposed}
    assert score(scheme, row, {})[0] == pytest.approx(109.0 - deduction)


def test_a_term_cap_must_be_positive(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from caseflow.config.schemes import ConfigError

    (tmp_path / "x.yaml").write_text("id: x\nterms:\n  - {weight: -20, key: rework_rate, max_points: -5}\n")
    with pytest.raises(ConfigError, match=r"x.yaml term 1 max_points: give a positive number"):
        load_schemes(tmp_path)


def test_suning_2011_manual_other(rules: Rules, result) -> None:  # type: ignore[no-untyped-def]
    s = result.scores["suning-2011"]
    assert s["U1"]["score"] == pytest.approx(52.5) and s["U1"]["missing"] == ["other"]
    assert (s["U1"]["rank"], s["U3"]["rank"]) == (1, 2)
    with_other = replay(lines(month()), make_period("2026-10", None, None, None), rules, UNITS, load_schemes(),
                        manual={"U1": {"other": 0.8}})
    assert with_other.scores["suning-2011"]["U1"]["score"] == pytest.approx(60.5)
    assert "missing" not in with_other.scores["suning-2011"]["U1"]


def test_standard_department_tie_broken_by_on_time_rate(result) -> None:  # type: ignore[no-untyped-def]
    s = result.scores["standard-department"]
    assert s["U1"]["score"] == pytest.approx(70.0) and s["U3"]["score"] == pytest.approx(70.0)
    assert (s["U1"]["grade"], s["U3"]["grade"]) == ("C", "C")
    assert (s["U3"]["rank"], s["U1"]["rank"]) == (1, 2)


@pytest.mark.parametrize(("dispatched", "count_score"),
                         [(0, 1.0), (50, 1.0), (51, 0.9), (100, 0.9), (101, 0.75), (200, 0.75), (201, 0.6),
                          (500, 0.6), (501, 0.4), (1000, 0.4), (1001, 0.0)])
def test_standard_count_score_steps(dispatched: int, count_score: float) -> None:
    scheme = load_schemes()["standard-department"]
    assert scheme.terms[0].value({"dispatched": dispatched}, {}) == count_score


@pytest.mark.parametrize(("score", "grade"), [(90, "A"), (89.99, "B"), (75, "B"), (60, "C"), (40, "D"), (39.9, "E")])
def test_standard_grades(score: float, grade: str) -> None:
    from caseflow.domain.schemes import grade as grade_of

    assert grade_of(load_schemes()["standard-department"], score) == grade


def test_as_of_sees_only_earlier_events(rules: Rules) -> None:
    period = make_period("2026-10", None, None, "2026-10-08T15:00")
    r = replay(lines(month()), period, rules, UNITS, load_schemes())
    u1 = r.indicators.units["U1"]
    assert (u1["dispatched"], u1["disposed"], u1["closed"]) == (1, 1, 0)


def test_rejections_are_listed_with_reasons(rules: Rules) -> None:
    bad = [*month(), ev("disposed", "C", "2026-10-20 09:00", unit="U9"), ev("closed", "ZZ", "2026-10-20 09:00")]
    r = replay(lines(bad), make_period("2026-10", None, None, None), rules, UNITS, load_schemes())
    assert sorted(x.reason for x in r.rejected) == ["not_reported", "wrong_unit"]
