"""notify takes alerts from both lanes on real Kafka and PostgreSQL: the fresh topic and the backlog topic
(alerts raised long after their instant, issue #34), each once into its inbox, the backlog's as catching up;
a backlog of thousands on one lane does not hold back an alert on the other."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson
from fastapi.testclient import TestClient

from caseflow.infra import kafka, topics
from caseflow.infra.settings import Settings
from caseflow_notify.main import bootstrap

UNITS = "units:\n  - {id: U1, class: 1, channels: [{type: webhook, url: 'http://127.0.0.1:9/none'}]}\n"


def alert(alert_id: str, at: datetime) -> bytes:
    return orjson.dumps({"alert_id": alert_id, "type": "overdue", "case_id": f"C-{alert_id}", "unit": "U1",
                         "level": 1, "due_at": at.isoformat(), "reason": "overdue level 1", "recipients": ["unit"]})


async def test_a_fresh_alert_is_taken_while_the_backlog_lane_is_full(settings: Settings, tmp_path: Path) -> None:
    units = tmp_path / "units.yaml"
    units.write_text(UNITS, "utf-8")
    notify = settings.model_copy(update={"units_file": units})
    await topics.ensure_topics(notify)
    now = datetime.now(UTC)
    producer = kafka.producer(notify)
    await producer.start()
    try:
        old = now - timedelta(days=3)
        sent = [await producer.send(notify.topic("alerts-backlog"), alert(f"old-{i}", old), key=b"U1")
                for i in range(3000)]
        await asyncio.gather(*sent)
        await producer.send_and_wait(notify.topic("alerts"), alert("fresh", now), key=b"U1")
    finally:
        await producer.stop()
    conn = await asyncpg.connect(notify.database_url)
    try:
        with TestClient(bootstrap(notify)):
            began = time.monotonic()
            while time.monotonic() - began < 60:
                got = await conn.fetchval("SELECT count(*) FROM notify_inbox") if await conn.fetchval(
                    "SELECT to_regclass('notify_inbox') IS NOT NULL") else 0
                if got == 3001:
                    break
                await asyncio.sleep(0.2)
        rows = await conn.fetch("SELECT alert_id, received_at FROM notify_inbox ORDER BY received_at")
        late = dict(await conn.fetch("SELECT alert_id, catch_up FROM notify_deliveries"))
    finally:
        await conn.close()
    assert len(rows) == 3001, "every alert of both lanes once"
    order = [r["alert_id"] for r in rows]
    # one lane would take it after all 3,000; on its own lane it comes after a batch or two of the backlog
    # (200 each) here, after five on a loaded CI runner whose fresh-lane consumer joined its group later
    assert order.index("fresh") < 2000, "the fresh alert waited behind the backlog lane"
    assert late["fresh"] is False and all(late[f"old-{i}"] for i in range(3000))
