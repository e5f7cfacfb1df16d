"""Exemptions (核减, rules §4a) through scoring's API on real PostgreSQL: a unit applies for one of its
assignments with its own token, the command centre approves, the period's numbers change, every change
is kept; refusals say why; the export, replayed without the database, gives the numbers scoring serves."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from caseflow.config.units import load_directory
from caseflow.contract import snapshot
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra import db, topics
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI, iso
from caseflow.replay.engine import CaseBook, result_of
from caseflow.replay.exempted import read_applications, read_exemptions
from caseflow.replay.output import as_document
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_scoring.main import bootstrap
from caseflow_scoring.store.cases import save_on_case_snapshots

APPROVER = {"X-API-Key": "test-approver-key"}
ASSESSOR = {"X-API-Key": "test-operator-key"}
READER = {"X-API-Key": "test-platform-key"}
U0 = {"Authorization": "Bearer u0-token"}
U1 = {"Authorization": "Bearer u1-token"}


def this_month() -> tuple[str, Period]:
    """The month now: its applications' window is open whatever the day the test runs."""
    name = datetime.now(SHANGHAI).strftime("%Y-%m")
    start, end = month_bounds(name)
    return name, Period(start, end, end)


async def test_a_unit_applies_the_centre_decides_and_the_numbers_follow(settings: Settings, rules: Rules,
                                                                         tmp_path: Path) -> None:
    month, period = this_month()
    shape = Shape(cases=120, units=3, regions=2, seed=8, start=datetime.fromtimestamp(period.start / 1000, SHANGHAI))
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    lines = list(generate(shape))
    book = CaseBook(rules)
    for seq, line in enumerate(lines):
        book.add_raw(line.rstrip(b"\n"), seq, period.as_of)
    cases = book.cases()
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1) for s in cases])
    finally:
        await pool.close()
    mine = next((c, a) for c in cases for a in c.assignments
                if a.unit == "U-000" and period.contains(a.dispatched_at) and a.returned_at is None)
    theirs = next((c, a) for c in cases for a in c.assignments if a.unit == "U-001")
    await topics.ensure_topics(settings)
    config = settings.model_copy(update={
        "api_keys": settings.api_keys + ",approver:test-approver-key", "operators": "operator,approver",
        "assessment_approvers": "approver", "unit_tokens": "U-000:u0-token,U-001:u1-token",
        "units_file": tmp_path / "units.yaml"})
    case, assignment = mine
    body = {"case_id": case.case_id, "unit_id": "U-000", "dispatched_at": iso(assignment.dispatched_at),
            "kind": "exclude", "reason": "not_ours", "text": "该点位属园林绿化养护范围"}
    with TestClient(bootstrap(config)) as client:
        before = client.get(f"/v1/periods/{month}", headers=READER).json()["units"]["U-000"]
        made = client.post("/v1/exemptions", headers=U0, json=body)
        assert made.status_code == 201, made.text
        application = made.json()
        assert (application["status"], application["period"]) == ("pending", month)
        assert application["dispatched_at"] == body["dispatched_at"]

        twice = client.post("/v1/exemptions", headers=U0, json=body)
        assert twice.status_code == 422 and "pending or approved already" in twice.json()["detail"]
        other = client.post("/v1/exemptions", headers=U1, json=body)
        assert other.status_code == 403 and "belongs to 'U-001', not 'U-000'" in other.json()["detail"]
        not_mine = client.post("/v1/exemptions", headers=U0, json={
            **body, "case_id": theirs[0].case_id, "dispatched_at": iso(theirs[1].dispatched_at)})
        assert not_mine.status_code == 403 and "is U-001's, not U-000's" in not_mine.json()["detail"]
        missing = client.post("/v1/exemptions", headers=U0, json={**body, "case_id": "NO-SUCH"})
        assert missing.status_code == 422 and "no such case" in missing.json()["detail"]
        reason = client.post("/v1/exemptions", headers=U0, json={**body, "reason": "busy"})
        assert reason.status_code == 422 and "not_ours (不属于本单位职责)" in reason.json()["detail"]
        assert client.post("/v1/exemptions", headers=ASSESSOR, json=body).status_code == 403

        path = f"/v1/exemption-applications/{application['id']}"
        assert client.post(f"{path}/approve", headers=U0, json={"why": "x"}).status_code == 403
        assert client.post(f"{path}/approve", headers=ASSESSOR, json={"why": "x"}).status_code == 403
        assert client.post(f"{path}/approve", headers=APPROVER, json={}).status_code == 409
        decided = client.post(f"{path}/approve", headers=APPROVER, json={"why": "经核实属绿化范围"})
        assert decided.status_code == 200 and decided.json()["status"] == "approved"

        after = client.get(f"/v1/periods/{month}", headers=READER).json()
        row = after["units"]["U-000"]
        assert (row["exempted"], row["dispatched"]) == (before["exempted"] + 1, before["dispatched"] - 1)
        assert after["exemptions"][application["id"]]["status"] == "approved"

        listed = client.get(f"/v1/exemptions/{month}", headers=U1).json()
        assert listed["exemptions"] == []  # a unit sees its own only
        assert client.get(f"/v1/exemptions/{month}?unit=U-000", headers=U1).status_code == 403
        changes = client.get(f"{path}/changes", headers=U0).json()["changes"]
        assert [(c["action"], c["old"], c["new"]) for c in changes] == [
            ("apply", None, "pending"), ("approve", "pending", "approved")]
        assert client.get(f"/v1/exemptions/{month}/export", headers=U0).status_code == 403
        export = client.get(f"/v1/exemptions/{month}/export", headers=READER)
        assert export.status_code == 200
    (tmp_path / "exemptions.json").write_bytes(export.content)
    exported = orjson.loads(export.content)
    assert exported["period"] == month and exported["exemptions"][0]["dispatched_at"] == body["dispatched_at"]

    # the auditor: the month's events and the export, no database
    directory = load_directory(tmp_path / "units.yaml")
    replayed = as_document(result_of(book, period, rules, directory, {}, None,
                                     read_exemptions(tmp_path / "exemptions.json")),
                           applied=read_applications(tmp_path / "exemptions.json"))
    assert replayed["units"]["U-000"]["exempted"] == row["exempted"]
    assert {u: r["dispatched"] for u, r in replayed["units"].items()} == {
        u: r["dispatched"] for u, r in after["units"].items()}
    assert replayed["exemptions"] == after["exemptions"]
