"""Exemptions through a whole month on the real pipeline (issue #31): last month streams in live, units apply
and the command centre decides through the API, `close-month` freezes the month with its applications,
`audit --from-archive --exemptions export.json` says MATCH, the workbook shows what the API shows, and a
late event for the month moves nothing shown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openpyxl import load_workbook

from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI, iso
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import Services
from tests.e2e.test_audit import caseflow
from tests.e2e.test_live_equals_replay import post_all
from tests.e2e.test_walking_skeleton import KEY, env_of
from tests.support.events import ev

pytestmark = pytest.mark.e2e
FIRST_OF_THIS_MONTH = datetime.now(SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
MONTH = (FIRST_OF_THIS_MONTH - timedelta(days=1)).strftime("%Y-%m")  # ended: it can be closed
START, END = month_bounds(MONTH)
SHAPE = Shape(cases=200, units=4, regions=2, seed=71, start=datetime.fromtimestamp(START / 1000, SHANGHAI))
OPERATOR = {"X-API-Key": "test-operator-key"}
APPROVER = {"X-API-Key": "test-approver-key"}


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    env = {**env_of(settings, tmp_path / "units.yaml"),
           "CASEFLOW_API_KEYS": settings.api_keys + ",approver:test-approver-key",
           "CASEFLOW_OPERATORS": "operator,approver", "CASEFLOW_ASSESSMENT_APPROVERS": "approver",
           "CASEFLOW_UNIT_TOKENS": "U-000:u0-token,U-001:u1-token",
           "CASEFLOW_EXEMPTION_WORKING_DAYS": "40"}  # last month's window open whatever today's date
    services = Services(env, {n: free_port() for n in ("intake", "dispatch", "scoring")}, tmp_path / "logs")
    try:
        yield services.start(("intake", "dispatch", "scoring"))
    finally:
        services.stop_all()


def wait_scored(scoring: str, cases: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        doc: dict[str, Any] = httpx.get(f"{scoring}/v1/periods/{MONTH}", headers=KEY, timeout=30).json()
        dispatched = sum(u["dispatched"] + u["returned"] for u in doc["units"].values())
        if dispatched >= cases and not doc.get("served"):
            return doc
        assert time.monotonic() < deadline, "the month never reached scoring"
        time.sleep(1)


def test_a_month_with_exemptions_is_decided_closed_audited_and_frozen(stack: Services, settings: Settings,
                                                                      rules: Rules, tmp_path: Path) -> None:
    lines = list(generate(SHAPE))
    book = CaseBook(rules)
    for seq, line in enumerate(lines):
        book.add_raw(line.rstrip(b"\n"), seq, END)
    assignments = [(c.case_id, a) for c in book.cases() for a in c.assignments
                   if START <= a.dispatched_at < END and a.returned_at is None]
    post_all(stack.running["intake"].url, lines)
    scoring = stack.running["scoring"].url
    wait_scored(scoring, sum(1 for c in book.cases() for a in c.assignments if START <= a.dispatched_at < END))

    def apply(token: str, unit: str, kind: str) -> dict[str, Any]:
        case_id, a = next((c, a) for c, a in assignments if a.unit == unit)
        made = httpx.post(f"{scoring}/v1/exemptions", headers={"Authorization": f"Bearer {token}"}, json={
            "case_id": case_id, "unit_id": unit, "dispatched_at": iso(a.dispatched_at), "kind": kind,
            "reason": "not_ours", "text": "非本单位职责"})
        assert made.status_code == 201, made.text
        return dict(made.json())
    approved_one, rejected_one = apply("u0-token", "U-000", "exclude"), apply("u1-token", "U-001", "exclude")
    decide = f"{scoring}/v1/exemption-applications"
    archive = ("--from-archive", "--database-url", settings.database_url, "--topic", settings.topic("case-events"))
    close = ("close-month", MONTH, *archive, "--units", tmp_path / "units.yaml",
             "--scoring-url", scoring, "--api-key", "test-operator-key")
    waiting = caseflow(*close)
    assert waiting.returncode != 0 and "wait for a decision" in waiting.stdout + waiting.stderr
    assert httpx.post(f"{decide}/{approved_one['id']}/approve", headers=APPROVER, json={"why": "属实"}).is_success
    assert httpx.post(f"{decide}/{rejected_one['id']}/reject", headers=APPROVER, json={"why": "无据"}).is_success
    live = wait_scored(scoring, 0)
    assert live["units"]["U-000"]["exempted"] == 1 and live["units"]["U-001"]["exempted"] == 0

    closed = caseflow(*close)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    digest = closed.stdout.split("CLOSED: ")[1].split()[0]
    record = httpx.get(f"{scoring}/v1/months/{MONTH}", headers=KEY).json()
    assert record["content_hash"] == digest
    assert {k: v["status"] for k, v in record["document"]["exemptions"].items()} == {
        approved_one["id"]: "approved", rejected_one["id"]: "rejected"}
    late_apply = httpx.post(f"{decide}/{rejected_one['id']}/approve", headers=APPROVER, json={"why": "再议"})
    assert late_apply.status_code == 409 and "is closed" in late_apply.json()["detail"]

    export = tmp_path / "exemptions.json"
    export.write_bytes(httpx.get(f"{scoring}/v1/exemptions/{MONTH}/export", headers=OPERATOR).content)
    audit = caseflow("audit", *archive, "--units", tmp_path / "units.yaml", "--period", MONTH, "--scoring-url",
                     scoring, "--api-key", "test-platform-key", "--exemptions", export)
    assert audit.returncode == 0 and "VERDICT: MATCH" in audit.stdout, audit.stdout + audit.stderr

    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(lines))
    sealed = tmp_path / "closed.json"
    sealed.write_bytes(orjson.dumps(record))
    reporting = ("report", "--units", tmp_path / "units.yaml", "--period", MONTH, "--scheme", "county-interim",
                 "--exemptions", export, "--closed", sealed, "--no-progress")
    report = caseflow(*reporting, "--input", events, "--out", tmp_path / "month.xlsx")
    assert report.returncode == 0, report.stderr
    wb = load_workbook(tmp_path / "month.xlsx")
    about = {r[0].value: r[1].value for r in wb["说明 about"].iter_rows(min_row=2)}
    assert digest in about["封存 closed month"] and "数据与封存一致" in about["封存 closed month"]
    assert digest in (tmp_path / "month-charts" / "report.html").read_text("utf-8")
    indicators = {r[0].value: r for r in wb["指标 indicators"].iter_rows(min_row=2)}
    head = [c.value for c in wb["指标 indicators"][1]]
    exempted = head.index("核减数 exempted")
    assert {u: indicators[u][exempted].value for u in record["document"]["units"]} == {
        u: e["exempted"] for u, e in record["document"]["units"].items()}
    sheet = [[c.value for c in r] for r in wb["核减 exemptions"].iter_rows(min_row=3)]
    assert sorted((r[0], r[6]) for r in sheet) == sorted([(approved_one["id"], "已批准"),
                                                          (rejected_one["id"], "已驳回")])

    # a late event for the closed month: the month shown does not move
    unit = "U-000"
    mid = datetime.fromtimestamp((START + END) / 2000, SHANGHAI).strftime("%Y-%m-%d")
    late = [ev("reported", "LATE-1", f"{mid} 09:00", event_id="late-r", region="R-00"),
            ev("dispatched", "LATE-1", f"{mid} 10:00", event_id="late-d", unit=unit,
               time_limit={"value": 1, "unit": "working_days"})]
    httpx.post(f"{stack.running['intake'].url}/v1/events:ndjson", headers=KEY,
               content=b"".join(orjson.dumps(e) + b"\n" for e in late)).raise_for_status()
    deadline = time.monotonic() + 60
    while httpx.get(f"{scoring}/v1/units/{unit}/indicators", params={"period": MONTH, "recompute": "true"},
                    headers=KEY).json()["dispatched"] == record["document"]["units"][unit]["dispatched"]:
        assert time.monotonic() < deadline, "the late event never reached scoring"
        time.sleep(0.5)
    shown = httpx.get(f"{scoring}/v1/periods/{MONTH}", headers=KEY).json()
    assert shown["closed"]["content_hash"] == digest and shown["units"] == record["document"]["units"]
    assert shown["exemptions"] == record["document"]["exemptions"]

    # a report from events that now include the late one: refused, it would not be the signed month
    with_late = tmp_path / "with-late.jsonl"
    with_late.write_bytes(b"".join(lines) + b"".join(orjson.dumps(e) + b"\n" for e in late))
    refused = caseflow(*reporting, "--input", with_late, "--out", tmp_path / "late.xlsx")
    assert refused.returncode == 1 and "is closed as" in refused.stderr and not (tmp_path / "late.xlsx").exists()
    assert f"unit {unit}" in refused.stdout or unit in refused.stdout, refused.stdout
    recomputed = caseflow(*reporting, "--input", with_late, "--out", tmp_path / "late.xlsx", "--recompute")
    assert recomputed.returncode == 0, recomputed.stderr
    about = {r[0].value: r[1].value for r in load_workbook(tmp_path / "late.xlsx")["说明 about"].iter_rows(min_row=2)}
    assert about["封存 closed month"].startswith("重算 recomputed")
