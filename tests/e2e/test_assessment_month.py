"""An assessed month end to end, on the real pipeline (intake, dispatch, scoring; Kafka, PostgreSQL):
findings with a photo, a bonus declared by a town and approved, an appeal reversed, a grade, one
record still waiting. `close-month` refuses while a record waits, then closes with every template's
totals and records (their files' hashes) frozen; records of the closed month no longer change; `audit`
says MATCH, and reports the records an auditor's older export disagrees on; the workbook's assessment
sheets show the totals the API serves."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openpyxl import load_workbook

from caseflow.infra.settings import Settings
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.e2e.test_assessment_page import open_as, status, text_of
from tests.e2e.test_audit import caseflow, replay_doc
from tests.e2e.test_live_equals_replay import converge, post_all
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import env_of, wait_for

pytestmark = pytest.mark.e2e
SHAPE = Shape(cases=150, units=6, regions=2, seed=83)
ASSESSOR = {"X-API-Key": "test-operator-key"}
APPROVER = {"X-API-Key": "test-approver-key"}
READER = {"X-API-Key": "test-platform-key"}
TOWN_0 = {"Authorization": "Bearer r00-token"}
TOWN_1 = {"Authorization": "Bearer r01-token"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 200
TOWN_TEMPLATE = """
id: town-monthly
name: 街道月度考核
source: 本区街道月度考核（运营方自定）
assessed: regions
periods: [month]
bonus_cap: 3
sections:
  - id: inspections
    name: 明查暗访
    points: 10
    must_add_up: true
    items:
      - id: street-findings
        name: 明查暗访发现问题
        points: 10
        scoring: deductions
        deductions:
          - {id: unreported, label: 发现未上报问题（每个）, kind: per_occurrence, points: 1}
  - id: bonus
    name: 附加分
    items:
      - id: innovation
        name: 创新工作（自行申报）
        points: 3
        scoring: bonus
"""


@pytest.fixture
def month(tmp_path: Path) -> dict[str, Path]:
    paths = {"events": tmp_path / "events.jsonl", "units": tmp_path / "units.yaml", "templates": tmp_path / "tpl"}
    paths["units"].write_text(units_yaml(SHAPE), "utf-8")
    paths["events"].write_bytes(b"".join(generate(SHAPE)))
    paths["templates"].mkdir()
    (paths["templates"] / "town.yaml").write_text(TOWN_TEMPLATE, "utf-8")
    return paths


@pytest.fixture
def stack(settings: Settings, month: dict[str, Path], tmp_path: Path) -> Iterator[Services]:
    env = {**env_of(settings, month["units"]), "CASEFLOW_API_KEYS": settings.api_keys + ",approver:test-approver-key",
           "CASEFLOW_OPERATORS": "operator,approver", "CASEFLOW_ASSESSMENT_APPROVERS": "approver",
           "CASEFLOW_UNIT_TOKENS": "R-00:r00-token,R-01:r01-token", "CASEFLOW_ASSESSMENTS_DIR": str(month["templates"])}
    services = Services(env, {n: free_port() for n in SERVICES}, tmp_path / "logs")
    try:
        yield services.start(("intake", "dispatch", "scoring"))
    finally:
        services.stop_all()


class Desk:
    """The assessment API as the people at it use it."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)

    def record(self, template: str, subject: str, who: dict[str, str], **body: Any) -> str:
        made = self.http.post(f"/v1/assessments/{template}/2026-10/{subject}/records", headers=who, json=body)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def act(self, record: str, action: str, who: dict[str, str], **body: Any) -> httpx.Response:
        return self.http.post(f"/v1/assessment-records/{record}/{action}", headers=who, json=body)

    def step(self, record: str, *moves: tuple[str, dict[str, str]]) -> None:
        for action, who in moves:
            done = self.act(record, action, who, why=f"{action} 测试")
            assert done.status_code == 200, f"{action}: {done.text}"

    def export(self, template: str) -> bytes:
        found = self.http.get(f"/v1/assessment-exports/{template}/2026-10", headers=READER)
        assert found.status_code == 200, found.text
        return found.content

    def totals(self, template: str) -> dict[str, float]:
        rows = self.http.get(f"/v1/assessments/{template}/2026-10", headers=READER).json()["rows"]
        return {r["subject"]: r["total"] for r in rows}


async def test_an_assessed_month_closes_audits_and_reports(stack: Services, settings: Settings,
                                                           month: dict[str, Path], tmp_path: Path) -> None:
    lines = month["events"].read_bytes().splitlines(keepends=True)
    from_file = replay_doc("--input", month["events"], units=month["units"])
    await asyncio.to_thread(post_all, stack.running["intake"].url, lines)
    await asyncio.to_thread(converge, stack.running["scoring"].url, from_file)
    scoring = stack.running["scoring"].url
    desk = Desk(scoring)

    photo = desk.http.post("/v1/assessment-files?name=现场.png", headers={**ASSESSOR, "content-type": "image/png"},
                           content=PNG).json()["hash"]
    assert photo == "sha256:" + hashlib.sha256(PNG).hexdigest()
    # A bonus the town declares, an assessor verifies, the approver approves.
    bonus = desk.record("town-monthly", "R-00", TOWN_0, item="innovation", kind="bonus", points=2.5,
                        evidence="网格化试点", files=[photo])
    desk.step(bonus, ("submit", TOWN_0), ("verify", ASSESSOR), ("approve", APPROVER))
    # Findings: one with a photo (approved), one appealed by the town and reversed.
    seen = desk.record("district-rules", "R-00", ASSESSOR, item="system-operation", kind="finding",
                       deduction="fault-unreported", occurrences=2, evidence="10月3日、9日故障未上报", files=[photo])
    desk.step(seen, ("submit", ASSESSOR), ("approve", APPROVER))
    appealed = desk.record("town-monthly", "R-01", ASSESSOR, item="street-findings", kind="finding",
                           deduction="unreported", occurrences=3, evidence="暗访发现3处未上报")
    desk.step(appealed, ("submit", ASSESSOR), ("approve", APPROVER))
    letter = desk.http.post("/v1/assessment-files?name=说明.pdf", headers={**TOWN_1, "content-type": "application/pdf"},
                            content=b"%PDF-1.4 already reported").json()["hash"]
    assert desk.act(appealed, "appeal", TOWN_1, why="已于当日上报，附说明", files=[letter]).status_code == 200
    before_reversal = tmp_path / "town-before.json"
    before_reversal.write_bytes(desk.export("town-monthly"))
    desk.step(appealed, ("reverse", APPROVER))
    # A grade for a unit; a finding submitted but not yet approved.
    grade = desk.record("suning-2011-other", "U-001", ASSESSOR, item="department-evaluation", kind="grade",
                        points=4, evidence="部门评价")
    desk.step(grade, ("submit", ASSESSOR), ("approve", APPROVER))
    waiting = desk.record("district-rules", "R-01", ASSESSOR, item="contingency", kind="finding", deduction="no-plan")
    desk.step(waiting, ("submit", ASSESSOR))
    desk.record("district-rules", "R-01", ASSESSOR, item="funding", kind="finding", deduction=first_deduction(
        desk, "district-rules", "funding"))  # a draft: kept, not counted, does not hold the month
    assert desk.totals("town-monthly") == {"R-00": 12.5, "R-01": 10.0}

    archive = ("--from-archive", "--database-url", settings.database_url, "--topic", settings.topic("case-events"))
    common = (*archive, "--units", month["units"], "--scoring-url", scoring, "--assessments-dir", month["templates"],
              "--no-progress")
    refused = caseflow("close-month", "2026-10", *common, "--api-key", "test-operator-key")
    assert refused.returncode == 1 and waiting in refused.stderr and "wait for a decision" in refused.stderr, \
        refused.stdout + refused.stderr
    desk.step(waiting, ("approve", APPROVER))

    closed = caseflow("close-month", "2026-10", *common, "--api-key", "test-operator-key")
    assert closed.returncode == 0, closed.stdout + closed.stderr
    stored = desk.http.get("/v1/months/2026-10", headers=READER).json()
    frozen = stored["document"]["assessments"]
    assert set(frozen) == {"county-final", "county-rules", "district-rules", "suning-2011-other",
                            "town-monthly"}
    assert frozen["district-rules"]["records"][seen]["files"] == [photo]
    assert frozen["town-monthly"]["records"][appealed]["appeal"] == {"status": "reversed", "files": [letter]}
    assert frozen["town-monthly"]["totals"]["R-00"]["bonus"] == 2.5
    assert {s: v["total"] for s, v in frozen["town-monthly"]["totals"].items()} == desk.totals("town-monthly")

    after = desk.act(seen, "appeal", TOWN_0, why="迟来的申诉")
    assert after.status_code == 409 and "2026-10 is closed" in after.json()["detail"]
    late = desk.http.post("/v1/assessments/district-rules/2026-10/R-00/records", headers=ASSESSOR, json={
        "item": "funding", "kind": "finding", "deduction": first_deduction(desk, "district-rules", "funding")})
    assert late.status_code in (409, 422) and "2026-10 is closed" in late.json()["detail"]

    closed_page(f"{scoring}/assessments/town-monthly/2026-10")

    audit = caseflow("audit", *common, "--period", "2026-10", "--api-key", "test-platform-key")
    assert audit.returncode == 0 and "VERDICT: MATCH" in audit.stdout, audit.stdout + audit.stderr
    older = caseflow("audit", *common, "--period", "2026-10", "--api-key", "test-platform-key",
                     "--assessments", before_reversal, "--format", "json")
    found = {(d["scope"], d["id"], d["key"]) for d in orjson.loads(older.stdout)["differences"]}
    assert older.returncode == 1 and found == {
        ("record", f"town-monthly/{appealed}", "appeal.status"), ("record", f"town-monthly/{appealed}", "counts"),
        ("assessment", "town-monthly/R-01", "items.street-findings"),
        ("assessment", "town-monthly/R-01", "sections.inspections"), ("assessment", "town-monthly/R-01", "total")}

    whatif_from_the_archive(common, stored, tmp_path, desk.export("suning-2011-other"))

    exports = []
    for template in ("district-rules", "town-monthly"):
        exports += ["--assessments", tmp_path / f"{template}.json"]
        (tmp_path / f"{template}.json").write_bytes(desk.export(template))
    book = tmp_path / "oct.xlsx"
    report = caseflow("report", "--input", month["events"], "--units", month["units"], "--period", "2026-10",
                      "--out", book, "--assessments-dir", month["templates"], "--no-progress", *exports)
    assert report.returncode == 0, report.stderr
    workbook = load_workbook(book)
    for template in ("district-rules", "town-monthly"):
        sheet = workbook[f"考核 {template}"]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
        assert {r[1]: r[6] for r in rows if r[3] == "合计 total"} == desk.totals(template)
        board = desk.http.get(f"/v1/scoreboard/{template}", params={"period": "2026-10"}, headers=READER).json()
        assert [(r["subject"], r["total"]) for r in board["rows"]] == [
            (r[1], r[6]) for r in rows if r[3] == "合计 total"]
    district = [[c.value for c in row] for row in workbook["考核 district-rules"].iter_rows(min_row=3)]
    shown = next(r for r in district if r[7] == seen)
    assert shown[12:15] == ["已批准 approved", "是 yes", "10月3日、9日故障未上报"] and shown[15] == photo


def whatif_from_the_archive(common: tuple[str | Path, ...], stored: dict[str, Any], tmp_path: Path,
                            graded: bytes) -> None:
    """`caseflow whatif` on the closed month scores both sides with what the people decided, as the month
    was signed: U-001's grade in suning-2011-other feeds suning-2011's `other` term. From scoring it
    matches; from the archive alone (the closed record, no grades) it is refused, naming U-001; with the
    grades' export file it matches again."""
    draft = tmp_path / "draft"
    draft.mkdir()
    (draft / "suning-2011.yaml").write_text(
        (resources.files("caseflow.config") / "schemes" / "suning-2011.yaml").read_text("utf-8"), "utf-8")
    asked = ("whatif", "--period", "2026-10", "--schemes-dir", draft, "--format", "json")
    live = caseflow(*asked, *common, "--api-key", "test-platform-key")
    assert live.returncode == 0, live.stderr
    assert orjson.loads(live.stdout)["closed"] == f"{stored['content_hash']}（与封存一致）"
    (tmp_path / "closed.json").write_bytes(orjson.dumps(stored))
    offline = [a for a in common if a not in ("--scoring-url", common[common.index("--scoring-url") + 1])]
    alone = caseflow(*asked, *offline, "--closed", tmp_path / "closed.json")
    assert alone.returncode == 1 and "suning-2011 U-001: signed" in alone.stderr, alone.stderr
    (tmp_path / "graded.json").write_bytes(graded)
    files = caseflow(*asked, *offline, "--closed", tmp_path / "closed.json", "--assessments", tmp_path / "graded.json")
    assert files.returncode == 0, files.stderr


def first_deduction(desk: Desk, template: str, item: str) -> str:
    templates = desk.http.get("/v1/assessments", headers=READER).json()["templates"]
    found = next(t for t in templates if t["id"] == template)
    return str(next(i for s in found["sections"] for i in s["items"] if i["id"] == item)["deductions"][0]["id"])


def closed_page(page: str) -> None:
    """After the close, the town on its phone sees its record and total with no 申诉 button, and the
    approver's page offers no action or form; both say the month is closed."""
    driver = browser()
    try:
        driver.set_window_size(360, 780)
        open_as(driver, page, "r01-token")
        wait_for(lambda: "本月已结账" in status(driver) and "街道01 · 总分 10" in status(driver), timeout=20)
        assert "申诉成立" in text_of(driver, "view") and not driver.find_elements("css selector", "button[data-act]")
        driver.save_screenshot(str(SHOTS / "assessment-closed-unit-360.png"))
        driver.set_window_size(1280, 900)
        open_as(driver, f"{page}?subject=R-00", "test-approver-key", form=True)
        wait_for(lambda: "本月已结账" in status(driver), timeout=20)
        assert "附加分" in text_of(driver, "view") and "2.5" in text_of(driver, "view")
        assert not driver.find_elements("css selector", "button[data-act]")
        assert not driver.find_elements("css selector", "form.add")
        driver.save_screenshot(str(SHOTS / "assessment-closed-approver-1280.png"))
    finally:
        driver.quit()
