"""One final score (issue #31): county-final is 70 x the county-interim scheme (a share of its full marks)
+ 30 x the county-rules 细则 template. Grading county-rules through scoring's API moves county-final for
that unit, in the template's ranking and the unit's detail; replay given both exports agrees, and given
county-final's alone refuses, naming the file it lacks (real PostgreSQL and Kafka, the service's own app)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from caseflow.infra import topics
from caseflow.infra.settings import Settings
from caseflow.sample.generate import Shape, units_yaml
from caseflow_scoring.main import bootstrap

ASSESSOR = {"X-API-Key": "test-operator-key"}
APPROVER = {"X-API-Key": "test-approver-key"}
READER = {"X-API-Key": "test-platform-key"}
U1 = {"Authorization": "Bearer u1-token"}


async def test_grading_the_rules_template_moves_the_final_score(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "units.yaml").write_text(units_yaml(Shape(cases=1, units=3, regions=1)), "utf-8")
    await topics.ensure_topics(settings)
    config = settings.model_copy(update={
        "api_keys": settings.api_keys + ",approver:test-approver-key", "operators": "operator,approver",
        "assessment_approvers": "approver", "unit_tokens": "U-001:u1-token", "units_file": tmp_path / "units.yaml"})
    with TestClient(bootstrap(config)) as client:
        def finals() -> dict[str, float]:
            return {r["subject"]: r["total"] for r in
                    client.get("/v1/assessments/county-final/2026-10", headers=READER).json()["rows"]}

        before = finals()
        scheme = client.get("/v1/periods/2026-10", headers=READER).json()["units"]
        # the scheme's score as a share of its full marks (county-interim: 70 + 30 + 9 = 109) at 70 points
        assert before == {u: pytest.approx(70 * e["scores"]["county-interim"]["score"] / 109)
                          for u, e in scheme.items()}
        made = client.post("/v1/assessments/county-rules/2026-10/U-001/records", headers=ASSESSOR, json={
            "item": "public-evaluation", "kind": "grade", "points": 40, "evidence": "社会评价问卷"})
        assert made.status_code == 201, made.text
        for step, who in (("submit", ASSESSOR), ("approve", APPROVER)):
            assert client.post(f"/v1/assessment-records/{made.json()['id']}/{step}", headers=who,
                               json={}).status_code == 200
        after = finals()
        assert after["U-001"] == pytest.approx(before["U-001"] + 30 * 40 / 100)
        assert {u: t for u, t in after.items() if u != "U-001"} == {u: t for u, t in before.items() if u != "U-001"}
        mine = client.get("/v1/assessments/county-final/2026-10/U-001", headers=U1).json()
        assert mine["total"] == pytest.approx(after["U-001"])
        assert {i["id"]: i["points"] for i in mine["items"]}["rules"] == pytest.approx(12.0)
        exports = {t: client.get(f"/v1/assessment-exports/{t}/2026-10", headers=READER).content
                   for t in ("county-final", "county-rules")}
    for template, content in exports.items():
        (tmp_path / f"{template}.json").write_bytes(content)
    (tmp_path / "events.jsonl").write_bytes(b"")
    replay = [sys.executable, "-m", "caseflow.cli", "replay", "--input", str(tmp_path / "events.jsonl"), "--units",
              str(tmp_path / "units.yaml"), "--period", "2026-10", "--no-progress"]
    alone = subprocess.run([*replay, "--assessments", str(tmp_path / "county-final.json")], capture_output=True)
    assert alone.returncode == 2
    assert b"scores template(s) county-rules: give their records too" in alone.stderr, alone.stderr
    both = subprocess.run([*replay, "--assessments", str(tmp_path / "county-final.json"), "--assessments",
                           str(tmp_path / "county-rules.json")], capture_output=True, check=True)
    replayed = orjson.loads(both.stdout)["assessments"]["county-final"]["totals"]
    assert {u: v["total"] for u, v in replayed.items()} == pytest.approx(after)
