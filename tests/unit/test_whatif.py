"""`caseflow whatif` (#35): a draft equal to the adopted rules changes nothing; a weight moved gives new
scores that equal the formula worked by hand from the month's indicators, ranks that follow them, and the
term that moved each unit; bad drafts are refused naming the fix; the page is written."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pytest

from caseflow.sample.generate import Shape, generate, units_yaml
from tests.unit.test_replay_cli import caseflow

SHAPE = Shape(cases=900, units=9, regions=2, seed=77)
STEPS = [(50, 1.0), (100, 0.9), (200, 0.75), (500, 0.6), (1000, 0.4)]
ADOPTED = (resources.files("caseflow.config") / "schemes" / "standard-department.yaml").read_text("utf-8")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("whatif")
    (d / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    (d / "events.jsonl").write_bytes(b"".join(generate(SHAPE)))
    return d


def whatif(d: Path, draft: Path, *extra: str | Path) -> dict[str, Any]:
    out = caseflow("whatif", "--input", d / "events.jsonl", "--units", d / "units.yaml", "--period", "2026-10",
                   "--schemes-dir", draft, "--format", "json", "--no-progress", *extra)
    assert out.returncode == 0, out.stderr
    doc: dict[str, Any] = orjson.loads(out.stdout)
    return doc


def test_a_draft_equal_to_the_adopted_rules_changes_nothing(month: Path, tmp_path: Path) -> None:
    (tmp_path / "standard-department.yaml").write_text(ADOPTED, "utf-8")
    doc = whatif(month, tmp_path)
    assert {s["status"] for s in doc["schemes"]} == {"same"}
    for scheme in doc["schemes"]:
        assert all(u["adopted"] == u["draft"] and u["rank_change"] in (0, None) and u["why"] == ""
                   for u in scheme["units"]), scheme["id"]
        assert scheme["most_moved"] == []


def test_a_weight_moved_gives_the_scores_worked_by_hand(month: Path, tmp_path: Path) -> None:
    moved = ADOPTED.replace("{weight: 30, key: on_time_rate}", "{weight: 50, key: on_time_rate}").replace(
        "{weight: 30, key: intact_rate}", "{weight: 10, key: intact_rate}")
    assert moved != ADOPTED
    (tmp_path / "standard-department.yaml").write_text(moved, "utf-8")
    doc = whatif(month, tmp_path, "--out", tmp_path / "out")
    scheme = next(s for s in doc["schemes"] if s["id"] == "standard-department")
    assert scheme["status"] == "changed" and doc["schemes"][0]["id"] == "standard-department"  # changed first
    assert all(s["status"] == "same" for s in doc["schemes"][1:])
    replayed = caseflow("replay", "--input", month / "events.jsonl", "--units", month / "units.yaml",
                        "--period", "2026-10")
    units = orjson.loads(replayed.stdout)["units"]

    def points(value: float | None, weight: float) -> float:
        return weight if value is None else weight * value  # a null rate scores full marks (rules §7)

    by_hand = {}
    for unit, row in units.items():
        steps = next((v for bound, v in STEPS if row["dispatched"] <= bound), 0.0)
        by_hand[unit] = (10 * steps + points(row["close_rate"], 30) + points(row["on_time_rate"], 50)
                         + points(row["intact_rate"], 10))
    rows = {u["unit"]: u for u in scheme["units"]}
    assert set(rows) == set(by_hand)
    for unit, score in by_hand.items():
        assert rows[unit]["draft"]["score"] == pytest.approx(score, abs=1e-9), unit
        assert rows[unit]["adopted"]["score"] == units[unit]["scores"]["standard-department"]["score"]
    ranked = sorted((u for u in units if units[u]["due"]), key=lambda u: (-round(by_hand[u], 9),
                                                                          -(units[u]["on_time_rate"] or 0.0), u))
    assert [rows[u]["draft"]["rank"] for u in ranked] == list(range(1, len(ranked) + 1))
    for u in rows.values():
        if u["rank_change"]:
            assert u["why"] in ("on_time_rate", "intact_rate"), u  # only these two terms moved
            assert u["rank_change"] == u["adopted"]["rank"] - u["draft"]["rank"]
    page = (tmp_path / "out" / "whatif.html").read_text("utf-8")
    assert "<svg" in page and "规则草案试算" in page and "现行" in page and "草案" in page


def test_bad_drafts_are_refused_naming_the_fix(month: Path, tmp_path: Path) -> None:
    out = caseflow("whatif", "--input", month / "events.jsonl", "--units", month / "units.yaml", "--period",
                   "2026-10", "--schemes-dir", tmp_path)
    assert out.returncode == 2 and "no scheme files" in out.stderr
    (tmp_path / "broken.yaml").write_text("id: broken\nname: x\nkind: unit_score\nterms: [{weight: 1}]\n", "utf-8")
    out = caseflow("whatif", "--input", month / "events.jsonl", "--units", month / "units.yaml", "--period",
                   "2026-13", "--schemes-dir", tmp_path)
    assert out.returncode == 2 and "2026-13" in out.stderr


def test_a_quarter_and_a_year_are_compared_too(month: Path, tmp_path: Path) -> None:
    (tmp_path / "standard-department.yaml").write_text(
        ADOPTED.replace("{weight: 30, key: close_rate}", "{weight: 60, key: close_rate}"), "utf-8")
    for period in ("2026-Q4", "2026"):
        out = caseflow("whatif", "--input", month / "events.jsonl", "--units", month / "units.yaml", "--period",
                       period, "--schemes-dir", tmp_path, "--format", "json", "--no-progress")
        assert out.returncode == 0, out.stderr
        scheme = orjson.loads(out.stdout)["schemes"][0]
        assert scheme["id"] == "standard-department" and scheme["status"] == "changed"
        assert any(u["draft"]["score"] != u["adopted"]["score"] for u in scheme["units"])


def test_a_draft_that_is_not_yaml_is_named(month: Path, tmp_path: Path) -> None:
    (tmp_path / "draft.yaml").write_text("id: x\nname: y\n  bad: [\n", "utf-8")
    out = caseflow("whatif", "--input", month / "events.jsonl", "--units", month / "units.yaml", "--period",
                   "2026-10", "--schemes-dir", tmp_path)
    assert out.returncode == 2 and "draft.yaml: not YAML" in out.stderr


def test_a_closed_month_is_compared_as_signed(month: Path, tmp_path: Path) -> None:
    replayed = caseflow("replay", "--input", month / "events.jsonl", "--units", month / "units.yaml",
                        "--period", "2026-10")
    document = orjson.loads(replayed.stdout)
    record = {"period": "2026-10", "content_hash": "sha256:0f1e", "closed_at": "2026-11-03T10:00:00+08:00",
              "document": document}
    (tmp_path / "closed.json").write_bytes(orjson.dumps(record))
    (tmp_path / "draft").mkdir()
    (tmp_path / "draft" / "standard-department.yaml").write_text(ADOPTED.replace(
        "{weight: 30, key: close_rate}", "{weight: 40, key: close_rate}"), "utf-8")
    doc = whatif(month, tmp_path / "draft", "--closed", tmp_path / "closed.json")
    assert doc["closed"] == "sha256:0f1e（与封存一致）"
    unit = next(iter(document["units"]))  # the month signed another score for one unit: refused
    document["units"][unit]["scores"]["standard-department"]["score"] += 1
    (tmp_path / "closed.json").write_bytes(orjson.dumps(record))
    out = caseflow("whatif", "--input", month / "events.jsonl", "--units", month / "units.yaml", "--period",
                   "2026-10", "--schemes-dir", tmp_path / "draft", "--closed", tmp_path / "closed.json")
    assert out.returncode == 1 and f"standard-department {unit}: signed" in out.stderr and "--recompute" in out.stderr


def test_a_quarter_checks_each_of_its_closed_months(month: Path, tmp_path: Path) -> None:
    replayed = caseflow("replay", "--input", month / "events.jsonl", "--units", month / "units.yaml",
                        "--period", "2026-10")
    document = orjson.loads(replayed.stdout)
    record = {"period": "2026-10", "content_hash": "sha256:0f1e", "document": document}
    (tmp_path / "oct.json").write_bytes(orjson.dumps(record))
    (tmp_path / "draft").mkdir()
    (tmp_path / "draft" / "standard-department.yaml").write_text(ADOPTED, "utf-8")
    args = ("--units", month / "units.yaml", "--schemes-dir", tmp_path / "draft", "--closed", tmp_path / "oct.json",
            "--format", "json", "--no-progress")
    quarter = caseflow("whatif", "--input", month / "events.jsonl", "--period", "2026-Q4", *args)
    assert quarter.returncode == 0, quarter.stderr
    assert orjson.loads(quarter.stdout)["closed"] == "已封存月份 2026-10（与封存一致）"
    unit = next(iter(document["units"]))  # October signed another score for one unit: the quarter is refused
    document["units"][unit]["scores"]["standard-department"]["score"] -= 2
    (tmp_path / "oct.json").write_bytes(orjson.dumps(record))
    out = caseflow("whatif", "--input", month / "events.jsonl", "--period", "2026-Q4", *args)
    assert out.returncode == 1 and f"2026-10 standard-department {unit}: signed" in out.stderr
    wrong = caseflow("whatif", "--input", month / "events.jsonl", "--period", "2026-Q3", *args)
    assert wrong.returncode == 2 and "not a month of 2026-Q3" in wrong.stderr


def test_a_new_scheme_in_the_draft_is_shown_beside_nothing(month: Path, tmp_path: Path) -> None:
    (tmp_path / "draft").mkdir()
    (tmp_path / "draft" / "trial.yaml").write_text(ADOPTED.replace("id: standard-department", "id: trial-2027")
                                                   .replace("name: ", "name: 试行 ", 1), "utf-8")
    doc = whatif(month, tmp_path / "draft", "--out", tmp_path / "out")
    [new] = [s for s in doc["schemes"] if s["status"] != "same"]
    assert new["id"] == "trial-2027" and new["status"] == "new"
    assert all(u["adopted"]["score"] is None and u["draft"]["score"] is not None for u in new["units"])
    assert all(u["rank_change"] is None for u in new["units"])  # nothing to move from
    page = (tmp_path / "out" / "whatif.html").read_text("utf-8")
    assert "trial-2027 · 新增" in page and "<svg" not in page.split("trial-2027")[1].split("<h2>")[0]


def test_grades_given_as_files_feed_both_sides(month: Path, tmp_path: Path) -> None:
    """suning-2011's `other` term is fed by the suning-2011-other template: a grade's export file moves
    that unit's score on both sides by the term's weight times its share (5 of 10 points: 10 x 0.5)."""
    suning = (resources.files("caseflow.config") / "schemes" / "suning-2011.yaml").read_text("utf-8")
    (tmp_path / "draft").mkdir()
    (tmp_path / "draft" / "suning-2011.yaml").write_text(suning, "utf-8")
    grade = {"id": "A-1", "template": "suning-2011-other", "subject": "U-001", "period": "2026-10",
             "item": "department-evaluation", "kind": "grade", "created_by": "评分员", "created_at": 0,
             "points": 5, "status": "approved", "approved_at": 0}
    (tmp_path / "graded.json").write_bytes(orjson.dumps({"template": "suning-2011-other", "period": "2026-10",
                                                         "records": [grade]}))

    def scores(doc: dict[str, Any], side: str) -> dict[str, float]:
        found = next(s for s in doc["schemes"] if s["id"] == "suning-2011")
        return {u["unit"]: u[side]["score"] for u in found["units"]}

    without = whatif(month, tmp_path / "draft")
    graded = whatif(month, tmp_path / "draft", "--assessments", tmp_path / "graded.json")
    for side in ("adopted", "draft"):
        assert graded and scores(graded, side)["U-001"] == pytest.approx(scores(without, side)["U-001"] + 5)
        assert {u: v for u, v in scores(graded, side).items() if u != "U-001"} == \
            {u: v for u, v in scores(without, side).items() if u != "U-001"}
    grade["period"] = "2026-09"  # a file of another month is refused, naming it
    (tmp_path / "graded.json").write_bytes(orjson.dumps({"template": "suning-2011-other", "period": "2026-09",
                                                         "records": [grade]}))
    out = caseflow("whatif", "--input", month / "events.jsonl", "--units", month / "units.yaml", "--period",
                   "2026-10", "--schemes-dir", tmp_path / "draft", "--assessments", tmp_path / "graded.json")
    assert out.returncode == 2 and "records of 2026-09, but the replay is of 2026-10" in out.stderr, out.stderr
