"""The assessment API on scoring (real PostgreSQL and Kafka, the service's own app): an assessor records a
deduction, an approver approves it, the unit sees its total fall, appeals, the approver reverses, the
total is back; roles (a unit token reads only its own, cannot approve; a reading key records nothing);
evidence files within their limits, served back with their hash."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from caseflow.infra import topics
from caseflow.infra.settings import Settings
from caseflow_scoring.main import bootstrap

ASSESSOR = {"X-API-Key": "test-operator-key"}
APPROVER = {"X-API-Key": "test-approver-key"}
READER = {"X-API-Key": "test-platform-key"}
TOWN_A = {"Authorization": "Bearer town-a-token"}
TOWN_B = {"Authorization": "Bearer town-b-token"}
BASE = "/v1/assessments/district-rules/2026-10"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100


async def test_a_deduction_approved_appealed_and_reversed_through_the_api(settings: Settings) -> None:
    await topics.ensure_topics(settings)
    config = settings.model_copy(update={
        "api_keys": settings.api_keys + ",approver:test-approver-key", "operators": "operator,approver",
        "assessment_approvers": "approver", "unit_tokens": "R-A:town-a-token,R-B:town-b-token"})
    with TestClient(bootstrap(config)) as client:
        made = client.post(f"{BASE}/R-A/records", headers=ASSESSOR, json={
            "item": "org-structure", "kind": "finding", "deduction": "hotline-apart", "evidence": "96310 未合署"})
        assert made.status_code == 201, made.text
        record = made.json()["id"]
        assert client.post(f"/v1/assessment-records/{record}/submit", headers=ASSESSOR, json={}).status_code == 200
        assert client.post(f"/v1/assessment-records/{record}/approve", headers=TOWN_A, json={}).status_code == 403
        approved = client.post(f"/v1/assessment-records/{record}/approve", headers=APPROVER, json={"why": "属实"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"

        mine = client.get(f"{BASE}/R-A", headers=TOWN_A).json()
        assert mine["sections"]["organisation"] == 18.0 and mine["records"][0]["counts"] is True
        assert client.get(f"{BASE}/R-A", headers=TOWN_B).status_code == 403
        assert client.get(BASE, headers=TOWN_A).status_code == 403
        assert client.get(f"/v1/assessment-records/{record}/changes", headers=TOWN_B).status_code == 403

        file = client.post("/v1/assessment-files?name=任命文件.png", headers={**TOWN_A, "content-type": "image/png"},
                           content=PNG)
        assert file.status_code == 201 and file.json()["hash"] == "sha256:" + hashlib.sha256(PNG).hexdigest()
        appeal = client.post(f"/v1/assessment-records/{record}/appeal", headers=TOWN_A,
                             json={"why": "已合署办公，附文件", "files": [file.json()["hash"]]})
        assert appeal.status_code == 200 and appeal.json()["appeal"]["status"] == "open"
        assert client.post(f"/v1/assessment-records/{record}/reverse", headers=ASSESSOR,
                           json={"why": "x"}).status_code == 403
        decided = client.post(f"/v1/assessment-records/{record}/reverse", headers=APPROVER, json={"why": "文件属实"})
        assert decided.status_code == 200 and decided.json()["counts"] is False
        assert client.get(f"{BASE}/R-A", headers=TOWN_A).json()["sections"]["organisation"] == 20.0
        again = client.post(f"/v1/assessment-records/{record}/reverse", headers=APPROVER, json={"why": "再"})
        assert again.status_code == 409 and "no open appeal" in again.json()["detail"]

        changes = client.get(f"/v1/assessment-records/{record}/changes", headers=TOWN_A).json()["changes"]
        assert [c["action"] for c in changes] == ["create", "submit", "approve", "appeal", "reverse"]
        assert changes[-1]["who"] == "approver" and changes[-1]["why"] == "文件属实"
        rows = client.get(BASE, headers=READER).json()["rows"]
        # organisation 20 + 立案率 7: R-A has no reports this month, a null rate keeps the item's points (§7)
        assert [(r["subject"], r["total"]) for r in rows] == [("R-A", 27.0)]

        refused = client.post(f"{BASE}/R-A/records", headers=READER, json={"item": "org-structure", "kind": "finding",
                                                                          "deduction": "no-leader"})
        assert refused.status_code == 403
        wrong = client.post(f"{BASE}/R-A/records", headers=ASSESSOR, json={"item": "org-structure", "kind": "finding",
                                                                          "deduction": "made-up"})
        assert wrong.status_code == 422 and "known: incomplete, no-leader, hotline-apart" in wrong.json()["detail"]

        served = client.get(f"/v1/assessment-files/{file.json()['hash']}", headers=TOWN_A)
        assert served.content == PNG and served.headers["x-content-sha256"] == file.json()["hash"]
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-disposition"].startswith("attachment;")
        # another town knows the hash: it opens nothing that is not on its own records or applications
        assert client.get(f"/v1/assessment-files/{file.json()['hash']}", headers=TOWN_B).status_code == 404
        assert client.get(f"/v1/assessment-files/{file.json()['hash']}", headers=READER).status_code == 200
        big = client.post("/v1/assessment-files", headers={**ASSESSOR, "content-type": "application/pdf"},
                          content=b"%PDF-" + b"x" * (10 << 20))
        exe = client.post("/v1/assessment-files", headers={**ASSESSOR, "content-type": "application/x-msdownload"},
                          content=b"MZ")
        mismatch = client.post("/v1/assessment-files", headers={**ASSESSOR, "content-type": "image/png",
                                                                "x-content-sha256": "sha256:" + "0" * 64}, content=PNG)
        assert (big.status_code, exe.status_code, mismatch.status_code) == (413, 415, 422)


async def test_replay_recomputes_the_totals_from_an_exported_records_file(settings: Settings, tmp_path: Path) -> None:
    """An auditor without the database: the records exported from scoring, replayed with the month's
    events, give the totals scoring serves; a file of another period or template is refused."""
    await topics.ensure_topics(settings)
    config = settings.model_copy(update={
        "api_keys": settings.api_keys + ",approver:test-approver-key", "operators": "operator,approver",
        "assessment_approvers": "approver"})
    with TestClient(bootstrap(config)) as client:
        findings = (("system-operation", "fault-unreported", 3), ("ledgers", "not-applied", 1))
        for item, deduction, occurrences in findings:
            made = client.post(f"{BASE}/R-A/records", headers=ASSESSOR, json={
                "item": item, "kind": "finding", "deduction": deduction, "occurrences": occurrences}).json()
            client.post(f"/v1/assessment-records/{made['id']}/submit", headers=ASSESSOR, json={})
            client.post(f"/v1/assessment-records/{made['id']}/approve", headers=APPROVER, json={})
        client.post(f"{BASE}/R-B/records", headers=ASSESSOR, json={  # a draft: exported, not counted
            "item": "org-structure", "kind": "finding", "deduction": "no-leader"})
        live = {r["subject"]: r["total"] for r in client.get(BASE, headers=READER).json()["rows"]}
        exported = client.get("/v1/assessment-exports/district-rules/2026-10", headers=READER)
        assert exported.status_code == 200 and len(exported.json()["records"]) == 3
    records = tmp_path / "records.json"
    records.write_bytes(exported.content)
    units = tmp_path / "units.yaml"
    units.write_text("units: []\nregions: [{id: R-A, name: 甲街道}, {id: R-B, name: 乙街道}]\n", "utf-8")
    (tmp_path / "events.jsonl").write_bytes(b"")
    replay = [sys.executable, "-m", "caseflow.cli", "replay", "--input", str(tmp_path / "events.jsonl"), "--units",
              str(units), "--period", "2026-10", "--no-progress", "--assessments", str(records)]
    out = subprocess.run(replay, capture_output=True, check=True)
    replayed = orjson.loads(out.stdout)["assessments"]["district-rules"]
    # no events: 立案率 is null for both, so its 7 points stand (rules §10, as §7 scores a null rate)
    assert {s: v["total"] for s, v in replayed["totals"].items()} == live == {"R-A": 23.0, "R-B": 27.0}
    assert replayed["totals"]["R-A"]["items"]["system-operation"] == 5.0
    assert [r["status"] for r in replayed["records"].values()].count("draft") == 1
    wrong = subprocess.run([*replay[:-3], "--period", "2026-11", "--assessments", str(records)], capture_output=True,
                           text=True)
    assert wrong.returncode == 2 and "records of 2026-10, but the replay is of 2026-11" in wrong.stderr
