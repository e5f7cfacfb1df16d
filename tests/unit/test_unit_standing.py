"""A unit's standing (scoring/unit_standing.py, pure part) on a generated month replayed as audits do:
every count that costs points has exactly its cases behind it, every scheme's terms add up to its score
(or say why not), ranks and changes read from the documents, and 核减 is offered only while the window
is open and only where none was applied for."""

from __future__ import annotations

import itertools

import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import load_directory
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import CaseBook, replay
from caseflow.replay.output import as_document
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_scoring.unit_standing import cost_lines, region_standing_of, standing_of


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory, rules: Rules):  # type: ignore[no-untyped-def]
    shape = Shape(cases=800, units=6, regions=2, seed=17)
    path = tmp_path_factory.mktemp("standing") / "units.yaml"
    path.write_text(units_yaml(shape), "utf-8")
    directory, schemes = load_directory(path), load_schemes(None)
    lines = list(generate(shape))
    period = make_period("2026-10", None, None, None)
    doc = as_document(replay(lines, period, rules, directory, schemes))
    book = CaseBook(rules)
    for seq, line in enumerate(lines):
        book.add_raw(line, seq, period.as_of)
    return directory, schemes, doc, list(book.cases()), period


def test_every_count_that_costs_points_has_its_cases(month) -> None:  # type: ignore[no-untyped-def]
    _, _, doc, states, period = month
    for unit, row in doc["units"].items():
        costs = cost_lines(states, unit, Period(period.start, period.end, period.as_of))
        assert len(costs["overdue"]) == row["late_disposed"] + row["overdue_open"], unit
        assert {c["status"] for c in costs["overdue"]} <= {"超期处置", "超期未处置"}
        assert len(costs["reworked"]) == row["reworked"], unit
        assert len(costs["extended"]) == row["extended"], unit
        assert len(costs["returned"]) == row["returned"], unit
        assert len(costs["supervised"]) == row["supervised"], unit


def test_the_standing_reads_the_document(month) -> None:  # type: ignore[no-untyped-def]
    directory, schemes, doc, states, period = month
    unit = sorted(doc["units"])[0]
    costs = cost_lines(states, unit, period)
    previous = {"units": {unit: {"scores": {s: {"score": v["score"] - 1.5, "rank": (v.get("rank") or 1) + 2}
                                            for s, v in doc["units"][unit]["scores"].items()}}}}
    opened = standing_of(unit, "2026-10", doc, directory, schemes, previous, [("2026-09", previous), ("2026-10", doc)],
                         costs, {}, (period.end + 10, period.end))
    assert opened["indicators"]["dispatched"] == doc["units"][unit]["dispatched"]
    for part in opened["schemes"]:
        mine = doc["units"][unit]["scores"][part["id"]]
        assert part["score"] == mine["score"] and part["rank"] == mine.get("rank")
        assert part["change"]["score"] == pytest.approx(1.5)
        assert part["change"]["rank"] == (2 if mine.get("rank") is not None else None)
        assert part["terms_add_up"] or schemes[part["id"]].cross_month, part
        assert 1 <= part["of"] <= len(doc["units"])
    assert [t["period"] for t in opened["trend"]] == ["2026-09", "2026-10"]
    overdue = opened["costs"]["overdue"]
    assert overdue and all(c["may_apply"] == ["on_time", "exclude"] for c in overdue)
    late = standing_of(unit, "2026-10", doc, directory, schemes, None, [], costs, {}, (period.end, period.end + 1))
    assert all(c["may_apply"] == [] for c in late["costs"]["overdue"]) and not late["exemption_window"]["open"]
    first = overdue[0]
    applied = {**doc, "exemptions": {"E1": {"case_id": first["case_id"], "unit_id": unit, "kind": "on_time",
                                            "dispatched_at": first["dispatched_at"], "status": "pending"}}}
    again = standing_of(unit, "2026-10", applied, directory, schemes, None, [], costs, {},
                        (period.end + 10, period.end))
    mine = next(c for c in again["costs"]["overdue"] if c["case_id"] == first["case_id"])
    assert mine["may_apply"] == [] and mine["exemption"]["status"] == "pending"
    assert [a["id"] for a in again["exemptions"]] == ["E1"]


def test_the_months_bulletins(month) -> None:  # type: ignore[no-untyped-def]
    """One 通报 per configured unit naming each scheme's score and rank, the rank's move from last month and
    its biggest losses; one ranking for the centre; ids that name the month (a second close tells no one)."""
    from caseflow_scoring.bulletins import centre_bulletin, losses, unit_bulletins

    directory, schemes, doc, _, _ = month
    unit = sorted(directory.units)[0]
    previous = {"units": {unit: {"scores": {s: {**v, "rank": (v.get("rank") or 0) + 1}
                                            for s, v in doc["units"][unit]["scores"].items()}}}}
    told = unit_bulletins("2026-10", doc, previous, directory, schemes, 0, lambda u: f"https://s/units/{u}/standing")
    assert sorted(n.unit for n in told) == sorted(u for u in doc["units"] if u in directory.units)
    mine = next(n for n in told if n.unit == unit)
    ranked = [s for s, v in doc["units"][unit]["scores"].items() if v.get("rank")]
    assert mine.detail.count("（升 1 名）") == len(ranked) and mine.link == f"https://s/units/{unit}/standing"
    worst = losses(schemes, doc["units"][unit])
    assert worst and all(a[2] >= b[2] for a, b in itertools.pairwise(worst))
    assert "主要失分" in mine.detail
    assert [n.alert_id for n in told] == [n.alert_id for n in unit_bulletins("2026-10", doc, None, directory, schemes,
                                                                             99, lambda u: "")]
    centre = centre_bulletin("2026-10", doc, directory, schemes, 0, "")
    assert centre.unit == "" and all(schemes[s].name in centre.detail for s in ranked)


def test_a_region_reads_its_own_numbers_and_every_listing_that_judges_it(month) -> None:  # type: ignore[no-untyped-def]
    directory, _, doc, _, _ = month
    region = sorted(doc["regions"])[0]
    previous = {"regions": {region: {"on_time_rate": 0.5}}, "closed": {"content_hash": "sha256:x"}}
    shown = region_standing_of(region, "2026-10", doc, directory, [("2026-09", previous), ("2026-10", doc)])
    assert shown["kind"] == "region" and shown["unit"]["name"] == directory.regions[region].name
    assert shown["indicators"] == doc["regions"][region]
    judged = {lid for lid, listing in doc["listings"].items() if listing["on"] == "regions"}
    assert {x["id"] for x in shown["listings"]} == judged and judged
    for listing in shown["listings"]:
        row = doc["listings"][listing["id"]]["rows"][region]
        assert listing["status"] == row["status"] and listing["indicators"] == row["indicators"]
    assert shown["trend"][0] == {"period": "2026-09", "closed": True, "scores": {"on_time_rate": 50.0}}
    assert shown["schemes"] == [] and shown["costs"] == {}  # a unit's schemes and cases are not a region's
