"""scoring's API through real processes: overdue list, manual evaluations (operators only, audited),
history, scoreboard, alerts raised for an overdue case."""

from __future__ import annotations

import httpx
import orjson
import pytest

from caseflow_devstack.stack import Services
from tests.conftest import CONTRACT
from tests.e2e.test_walking_skeleton import KEY, stack, wait_for  # noqa: F401  (fixture)
from tests.support.events import ev

pytestmark = pytest.mark.e2e
OPERATOR = {"X-API-Key": "test-operator-key"}


def test_scoring_api(stack: Services) -> None:  # noqa: F811
    intake, scoring = stack.running["intake"].url, stack.running["scoring"].url
    open_case = [ev("reported", "OPEN-1", "2026-11-03 09:00", region="linping"),
                 ev("dispatched", "OPEN-1", "2026-11-03 09:30", unit="U-HW-LP",
                    time_limit={"value": 2, "unit": "working_hours"}),
                 ev("supervised", "OPEN-1", "2026-11-03 09:40", reason="leader_instruction",
                    deadline_at="2026-11-03T10:30:00+08:00")]
    body = (CONTRACT / "examples.jsonl").read_bytes() + b"".join(orjson.dumps(e) + b"\n" for e in open_case)
    assert httpx.post(f"{intake}/v1/events:ndjson", content=body, headers=KEY, timeout=30).status_code == 200

    overdue = wait_for(lambda: httpx.get(f"{scoring}/v1/units/U-HW-LP/overdue", headers=KEY).json()["cases"])
    assert [c["case_id"] for c in overdue] == ["OPEN-1"] and overdue[0]["light"] == "red"
    assert overdue[0]["deadline"] == "2026-11-03T11:30:00+08:00"

    def suning() -> dict:  # type: ignore[type-arg]
        got = httpx.get(f"{scoring}/v1/units/U-HW-LP/indicators", params={"period": "2026-11"}, headers=KEY).json()
        return got["scores"]["suning-2011"]

    assert suning()["missing"] == ["other"]
    url = f"{scoring}/v1/evaluations/2026-11/U-HW-LP"
    assert httpx.put(url, json={"other": 0.9}, headers=KEY).status_code == 403
    assert httpx.put(url, json={"other": 1.5}, headers=OPERATOR).status_code == 422
    assert httpx.put(url, json={"other": 0.9, "note": "部门评价"}, headers=OPERATOR).status_code == 200
    assert httpx.put(url, json={"other": 0.8}, headers=OPERATOR).json()["previous"] == 0.9
    assert "missing" not in suning()
    audit = httpx.get(f"{scoring}/v1/evaluations/2026-11", headers=KEY).json()["audit"]
    assert [(a["value"], a["previous"], a["entered_by"]) for a in audit] == [(0.9, None, "operator"),
                                                                             (0.8, 0.9, "operator")]

    history = httpx.get(f"{scoring}/v1/units/U-HW-LP/history", params={"periods": "2026-10,2026-11"},
                        headers=KEY).json()["history"]
    assert [(h["period"], h["dispatched"]) for h in history] == [("2026-10", 0), ("2026-11", 2)]
    board = httpx.get(f"{scoring}/v1/scoreboard/standard-department", params={"period": "2026-11"},
                      headers=KEY).json()
    assert board["rows"][0]["unit"] == "U-HW-LP" and board["rows"][0]["grade"]
    assert httpx.get(f"{scoring}/v1/scoreboard/nope", params={"period": "2026-11"}, headers=KEY).status_code == 404
    assert httpx.get(f"{scoring}/v1/periods/2026-13", headers=KEY).status_code == 422
    listing = httpx.get(f"{scoring}/v1/listings/zhejiang-region", params={"period": "2026-11"}, headers=KEY).json()
    assert listing["on"] == "regions" and listing["scheme"] == "zhejiang-region"
    linping = listing["rows"]["linping"]["indicators"]
    assert set(linping) == {"active_discovery_rate", "on_time_rate", "resolution_rate", "collector_filing_rate"}
    period = httpx.get(f"{scoring}/v1/periods/2026-11", headers=KEY).json()
    assert linping["on_time_rate"]["value"] == period["regions"]["linping"]["on_time_rate"]
    missing = httpx.get(f"{scoring}/v1/listings/county-interim", params={"period": "2026-11"}, headers=KEY)
    assert missing.status_code == 404 and "yuhang-2019" in missing.json()["detail"]

    notify = stack.running["notify"].url
    received = wait_for(lambda: httpx.get(f"{notify}/v1/units/U-HW-LP/alerts", headers=KEY).json()["alerts"])
    assert {a["case_id"] for a in received} == {"OPEN-1"}
    assert {"deadline_warning", "overdue"} <= {a["type"] for a in received}
    assert len({a["alert_id"] for a in received}) == len(received)
    # the 督办 order: on the case, counted by reason, and its deadline passed with the case open
    case = httpx.get(f"{stack.running['dispatch'].url}/v1/cases/OPEN-1", headers=KEY).json()
    assert case["supervisions"] == [{"at": "2026-11-03T09:40:00+08:00", "reason": "leader_instruction",
                                     "reason_zh": "领导批示", "deadline_at": "2026-11-03T10:30:00+08:00"}]
    unit = httpx.get(f"{scoring}/v1/units/U-HW-LP/indicators", params={"period": "2026-11"}, headers=KEY).json()
    assert unit["supervised_leader_instruction"] >= 1
    late = wait_for(lambda: [a for a in httpx.get(f"{notify}/v1/units/U-HW-LP/alerts", headers=KEY).json()["alerts"]
                             if a["reason"] == "supervision deadline passed"])
    assert [(a["type"], a["case_id"], a["level"]) for a in late] == [("overdue", "OPEN-1", 2)]
