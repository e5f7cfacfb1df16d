"""The boards' risk tag and order (#35) through the real path: case snapshots and case risks on their Kafka
topics, notify's consumers keeping them in PostgreSQL, the board API ordering by risk; an older risk of a
case never replaces a newer one; a malformed risk is not kept (and does not stop the consumer)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient

from caseflow.contract import snapshot
from caseflow.contract.case_risk import CaseRisk, encode
from caseflow.domain.rules import Rules
from caseflow.infra import topics
from caseflow.infra.settings import Settings
from caseflow.instants import iso
from caseflow.replay.engine import CaseBook
from caseflow_notify.main import bootstrap as notify_app
from tests.support.events import ev, lines

KEY = {"X-API-Key": "operator-key"}


def open_cases(rules: Rules) -> list[bytes]:
    """Three cases dispatched to U-1, due weeks from now (green on any board)."""
    events = []
    for i in range(3):
        case = f"R-{i}"
        events += [ev("reported", case, "2026-12-01 09:00", category="event", major="01", minor="02", region="R",
                      grid="G", source="public", description=f"第{i}件", address="某路"),
                   ev("filed", case, "2026-12-01 09:05"),
                   ev("dispatched", case, "2026-12-01 09:10", unit="U-1",
                      time_limit={"value": 40 + i, "unit": "working_days"})]
    book = CaseBook(rules)
    for seq, line in enumerate(lines(events)):
        book.add_raw(line, seq)
    return [snapshot.encode(s, 1) for s in book.cases()]


async def test_the_board_orders_by_risk_and_keeps_the_newest(settings: Settings, rules: Rules, tmp_path: Path) -> None:
    await topics.ensure_topics(settings)
    now = int(time.time() * 1000)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for raw in open_cases(rules):
            await producer.send_and_wait(settings.topic("case-snapshots"), raw, key=b"k")
        risks = [CaseRisk("R-0", 1, "U-1", 0.2, "已用时限 10%", iso(now)),
                 CaseRisk("R-1", 1, "U-1", 0.9, "已用时限 70%；本单位用时到此仍未处置的 20 件中 18 件超过本案时限",
                          iso(now)),
                 CaseRisk("R-1", 1, "U-1", 0.1, "an older sweep", iso(now - 600_000)),  # arrives later, is older
                 CaseRisk("R-2", 1, "U-1", 0.5, "已用时限 30%", iso(now))]
        bad = b'{"case_id": "R-1", "p_late": 7}'  # first on R-1's partition: the good ones after it still count
        await producer.send_and_wait(settings.topic("case-risks"), bad, key=b"R-1")
        for r in risks:
            await producer.send_and_wait(settings.topic("case-risks"), encode(r), key=r.case_id.encode())
    finally:
        await producer.stop()
    config = settings.model_copy(update={"api_keys": "operator:operator-key", "operators": "operator"})
    with TestClient(notify_app(config)) as notify:
        board: dict[str, Any] = {}
        deadline = time.time() + 60
        while time.time() < deadline:
            board = notify.get("/v1/board", params={"order": "risk"}, headers=KEY).json()
            if len(board.get("cases", [])) == 3 and all(c["risk"] for c in board["cases"]):
                break
            time.sleep(0.5)
        assert [c["case_id"] for c in board["cases"]] == ["R-1", "R-2", "R-0"], board
        assert board["cases"][0]["risk"]["p_late"] == 0.9 and "18 件" in board["cases"][0]["risk"]["why"]
        urgency = notify.get("/v1/board", headers=KEY).json()
        assert urgency["order"] == "urgency" and {c["case_id"] for c in urgency["cases"]} == {"R-0", "R-1", "R-2"}
        assert notify.get("/v1/board", params={"order": "fame"}, headers=KEY).status_code == 422
        page = notify.get("/board").text
        assert "按超期风险" in page and "超期风险 " in page
