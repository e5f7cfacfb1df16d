"""`caseflow report` on three generated months: the workbook opens with openpyxl and its numbers are
the replay JSON's; 环比 against the month before; charts and the HTML page are written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import load_workbook

from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.instants import iso
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate, units_yaml
from tests.unit.test_replay_cli import caseflow

SHAPES = [Shape(cases=250, units=9, regions=3, seed=40 + m, month=m) for m in (8, 9, 10)]


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("report")
    (d / "units.yaml").write_text(units_yaml(SHAPES[0]), "utf-8")
    with (d / "events.jsonl").open("wb") as f:
        for shape in SHAPES:
            f.writelines(generate(shape))
    out = caseflow("report", "--input", d / "events.jsonl", "--units", d / "units.yaml", "--period", "2026-10",
                   "--scheme", "county-interim", "--out", d / "report.xlsx")
    assert out.returncode == 0, out.stderr
    return d / "events.jsonl", d / "units.yaml", d


def replay(events: Path, units: Path, month: str) -> dict[str, Any]:
    out = caseflow("replay", "--input", events, "--units", units, "--period", month)
    assert out.returncode == 0, out.stderr
    doc: dict[str, Any] = orjson.loads(out.stdout)
    return doc


def rows(ws: Any, header_row: int) -> list[dict[str, Any]]:
    head = [c.value for c in ws[header_row]]
    return [dict(zip(head, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=header_row + 1)]


def test_ranking_sheet_has_every_term_and_the_replay_scores(months: tuple[Path, Path, Path]) -> None:
    events, units, d = months
    doc = replay(events, units, "2026-10")
    ws = load_workbook(d / "report.xlsx")["排名 ranking"]
    assert ws.freeze_panes == "C3"
    ranked = rows(ws, 2)
    assert {r["单位 unit"] for r in ranked} == set(doc["units"])
    for r in ranked:
        expected = doc["units"][r["单位 unit"]]["scores"]["county-interim"]
        assert r["总分 score"] == pytest.approx(expected["score"], rel=1e-14)
        assert r["排名 rank"] == expected["rank"]
    for row in ws.iter_rows(min_row=3, values_only=True):
        terms = row[4:4 + 3 * 4]
        assert sum(terms[2::3]) == pytest.approx(row[4 + 3 * 4], abs=1e-9)  # the points add up to the score
    disposal = next(c for c in ws[2] if str(c.value).startswith("处置率"))
    assert ws.cell(3, disposal.column).number_format == "0.00%"


def test_regions_marked_against_targets(months: tuple[Path, Path, Path]) -> None:
    events, units, d = months
    doc = replay(events, units, "2026-10")
    ws = load_workbook(d / "report.xlsx")["区域 regions"]
    for r in rows(ws, 1):
        region = doc["regions"][r["区域 region"]]
        assert r["立案率 collector_filing_rate"] == pytest.approx(region["collector_filing_rate"])
        # zhejiang-region (立案率 ≥70%) judges years: a month shows progress toward it (进度), not a verdict
        assert r["立案率 目标 target ≥70%"] == "进度 progress"
        timely = r["问题及时解决率 目标 target ≥98%"]
        assert timely == ("达标 pass" if region["timely_resolution_rate"] >= 0.98 else "未达标 fail")


def test_month_over_month_and_year_over_year(months: tuple[Path, Path, Path]) -> None:
    events, units, d = months
    now, before = replay(events, units, "2026-10"), replay(events, units, "2026-09")
    ws = load_workbook(d / "report.xlsx")["环比同比 changes"]
    checked = 0
    for r in rows(ws, 2):
        unit, key = r["单位 unit"], r["指标 indicator"].split()[-1]
        # Excel keeps 15-17 significant digits (openpyxl writes %.16g): equal to that precision.
        assert r["本月 this month"] == pytest.approx(now["units"][unit][key], rel=1e-14)
        assert r["上月 last month"] == pytest.approx(before["units"][unit][key], rel=1e-14)
        if r["本月 this month"] is not None and r["上月 last month"] is not None:
            assert r["环比 MoM"] == pytest.approx(now["units"][unit][key] - before["units"][unit][key])
            checked += 1
        assert r["去年同月 last year"] in (0, None)  # no events in 2025-10
    assert checked > 20


def test_case_lists_match_the_counts(months: tuple[Path, Path, Path]) -> None:
    events, units, d = months
    doc = replay(events, units, "2026-10")
    wb = load_workbook(d / "report.xlsx")
    overdue = rows(wb["超期案件 overdue"], 1)
    reworked = rows(wb["返工案件 reworked"], 1)
    for unit, entry in doc["units"].items():
        assert sum(r["单位 unit"] == unit for r in overdue) == entry["late_disposed"] + entry["overdue_open"]
        assert sum(r["单位 unit"] == unit for r in reworked) == entry["reworked"]
    assert overdue and reworked


def test_charts_and_page(months: tuple[Path, Path, Path]) -> None:
    _, _, d = months
    charts = d / "report-charts"
    names = {p.name for p in charts.iterdir()}
    assert {"ranking-1.png", "ranking-2.png", "ranking-3.png", "trend.png", "regions.png", "report.html"} <= names
    for png in charts.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    page = (charts / "report.html").read_text("utf-8")
    assert "<img src='trend.png'" in page and "区域指标" in page


def test_unknown_scheme_is_a_clear_error(months: tuple[Path, Path, Path], tmp_path: Path) -> None:
    events, units, _ = months
    out = caseflow("report", "--input", events, "--units", units, "--period", "2026-10", "--scheme", "nope",
                   "--out", tmp_path / "x.xlsx")
    assert out.returncode == 2 and "--scheme 'nope'" in out.stderr and "county-interim" in out.stderr
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize(("name", "kind", "previous", "last_year", "trend"), [
    ("2026-10", "month", "2026-09", "2025-10", ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]),
    ("2026-01", "month", "2025-12", "2025-01", ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]),
    ("2026-Q1", "quarter", "2025-Q4", "2025-Q1", ["2026-01", "2026-02", "2026-03"]),
    ("2026-Q4", "quarter", "2026-Q3", "2025-Q4", ["2026-10", "2026-11", "2026-12"]),
    ("2026", "year", "2025", "2025", [f"2026-{m:02d}" for m in range(1, 13)]),
])
def test_the_periods_a_report_evaluates(name: str, kind: str, previous: str, last_year: str,
                                        trend: list[str]) -> None:
    from caseflow.replay.report_data import report_periods

    p = report_periods(name)
    assert (p.kind, p.previous, p.last_year, p.trend) == (kind, previous, last_year, trend)
    assert p.names[-1] == name and len(p.names) == len(set(p.names))


@pytest.mark.parametrize("period", ["2026-Q3", "2026"])
def test_quarter_and_year_reports(months: tuple[Path, Path, Path], period: str) -> None:
    """A quarter's or a year's workbook ranks the period's assignments as replay does, with its months'
    trend and the period before."""
    events, units, d = months
    out = caseflow("report", "--input", events, "--units", units, "--period", period, "--scheme", "county-interim",
                   "--out", d / f"{period}.xlsx")
    assert out.returncode == 0, out.stderr
    doc = replay(events, units, period)
    wb = load_workbook(d / f"{period}.xlsx")
    ranked = rows(wb["排名 ranking"], 2)
    assert {r["单位 unit"] for r in ranked} == set(doc["units"])
    for r in ranked:
        expected = doc["units"][r["单位 unit"]]["scores"]["county-interim"]
        assert r["总分 score"] == pytest.approx(expected["score"], rel=1e-14) and r["排名 rank"] == expected["rank"]
    trend = rows(wb["趋势 trend"], 2)
    months_shown = [c.value for c in wb["趋势 trend"][2]][2:]
    assert months_shown == (["2026-07", "2026-08", "2026-09"] if period == "2026-Q3"
                            else [f"2026-{m:02d}" for m in range(1, 13)])
    september = replay(events, units, "2026-09")
    for r in trend:
        unit, key = r["单位 unit"], r["指标 indicator"].split()[-1]
        if key in september["units"][unit]:
            assert r["2026-09"] == pytest.approx(september["units"][unit][key], rel=1e-14)
    changes = [c.value for c in wb["环比同比 changes"][2]]
    if period == "2026":
        assert changes == ["单位 unit", "指标 indicator", "本年 this year", "上年 last year", "环比 MoM"]
    else:
        assert changes[2:4] == ["本季 this quarter", "上季 last quarter"]
    page = (d / f"{period}-charts" / "report.html").read_text("utf-8")
    assert f"{period} 数字城管考核报告" in page


def test_a_region_on_trial_is_shown_as_such(months: tuple[Path, Path, Path], tmp_path: Path) -> None:
    events, units, _ = months
    trial = tmp_path / "units.yaml"
    trial.write_text(units.read_text("utf-8").replace("  - id: R-01\n", '  - id: R-01\n    trial_until: "2026-10"\n'),
                     "utf-8")
    assert trial.read_text("utf-8") != units.read_text("utf-8")
    out = caseflow("report", "--input", events, "--units", trial, "--period", "2026-10", "--out", tmp_path / "t.xlsx")
    assert out.returncode == 0, out.stderr
    regions = {r["区域 region"]: r for r in rows(load_workbook(tmp_path / "t.xlsx")["区域 regions"], 1)}
    assert regions["R-01"]["问题及时解决率 目标 target ≥98%"] == "试运行 trial"
    assert regions["R-00"]["问题及时解决率 目标 target ≥98%"] in ("达标 pass", "未达标 fail")
    assert regions["R-01"]["立案率 目标 target ≥70%"] == "进度 progress"  # zhejiang: no trials, judges years
    page = (tmp_path / "t-charts" / "report.html").read_text("utf-8")
    assert page.count("试运行") == 1 and "进度" in page


def test_exemptions_sheet_and_page_list_every_application(months: tuple[Path, Path, Path], tmp_path: Path,
                                                          rules: Rules) -> None:
    """With the export of GET /v1/exemptions/{period}/export, the approved exemption changes the numbers
    (as replay --exemptions computes them), and the sheet and page list every application and decision."""
    events, units, _ = months
    book = CaseBook(rules)
    for seq, line in enumerate(events.read_bytes().splitlines()):
        book.add_raw(line, seq)
    start, end = month_bounds("2026-10")
    case, a = next((c, a) for c in book.cases() for a in c.assignments
                   if start <= a.dispatched_at < end and a.returned_at is None)
    entry = {"case_id": case.case_id, "unit_id": a.unit, "dispatched_at": iso(a.dispatched_at), "reason": "not_ours"}
    (tmp_path / "exemptions.json").write_bytes(orjson.dumps({"period": "2026-10", "exemptions": [
        {**entry, "id": "E-1", "kind": "exclude", "status": "approved", "decided_by": "chief", "decision": "属实"},
        {**entry, "id": "E-2", "kind": "rework", "status": "rejected", "decided_by": "chief", "decision": "无据"}]}))
    out = caseflow("report", "--input", events, "--units", units, "--period", "2026-10", "--scheme", "county-interim",
                   "--out", tmp_path / "report.xlsx", "--exemptions", tmp_path / "exemptions.json")
    assert out.returncode == 0, out.stderr
    wb = load_workbook(tmp_path / "report.xlsx")
    listed = rows(wb["核减 exemptions"], 2)
    assert [(r["申请编号 id"], r["类型 kind"], r["状态 status"], r["审核意见 decision"]) for r in listed] == [
        ("E-1", "案件核减", "已批准", "属实"), ("E-2", "返工核减", "已驳回", "无据")]
    replayed = orjson.loads(caseflow("replay", "--input", events, "--units", units, "--period", "2026-10",
                                     "--exemptions", tmp_path / "exemptions.json").stdout)
    assert replayed["units"][a.unit]["exempted"] == 1 and set(replayed["exemptions"]) == {"E-1", "E-2"}
    indicators = {r["单位 unit"]: r for r in rows(wb["指标 indicators"], 1)}
    assert indicators[a.unit]["核减数 exempted"] == 1
    page = (tmp_path / "report-charts" / "report.html").read_text("utf-8")
    assert "<h2>核减 exemptions</h2>" in page and "已驳回" in page and case.case_id in page
