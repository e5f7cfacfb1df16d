"""kill -9 notify while alerts flow: after restarts every alert reached its receiver, and none was sent
twice unannounced — the only second copy possible is one interrupted mid-request by the kill, which goes
out again flagged `redelivery` with the same alert_id for the receiver to drop."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
import yaml

from caseflow.infra.settings import Settings
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.e2e.test_walking_skeleton import KEY, env_of
from tests.support.events import ev
from tests.support.receivers import counting_alerts

pytestmark = pytest.mark.e2e
UNITS = [f"U{i:02d}" for i in range(12)]



@pytest.fixture
def receiver() -> Iterator[tuple[str, Counter[str]]]:
    with counting_alerts() as running:
        yield running


@pytest.fixture
def stack(settings: Settings, tmp_path: Path, receiver) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    base, _ = receiver
    units = {"units": [{"id": u, "class": 1, "channels": [{"type": "webhook", "url": f"{base}/{u}"}]}
                       for u in UNITS]}
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump(units))
    env = {**env_of(settings, path), "CASEFLOW_NOTIFY_GROUP_SECONDS": "0.5"}
    services = Services(env, {n: free_port() for n in SERVICES}, tmp_path / "logs")
    try:
        yield services.start()
    finally:
        services.stop_all()


async def test_kill_9_notify_while_alerts_flow(stack: Services, settings: Settings, receiver) -> None:  # type: ignore[no-untyped-def]
    _, received = receiver
    events = []
    for i in range(120):
        case, unit = f"K{i:03d}", UNITS[i % len(UNITS)]
        events += [ev("reported", case, "2026-11-20 09:00"),
                   ev("dispatched", case, "2026-11-20 09:30", unit=unit, time_limit={"value": 2, "unit": "hours"})]
    feed = [b"".join(orjson.dumps(e) + b"\n" for e in events[i:i + 40]) for i in range(0, len(events), 40)]
    rnd = random.Random(9)
    with httpx.Client(timeout=30, headers=KEY) as client:
        for n, chunk in enumerate(feed):
            assert client.post(f"{stack.running['intake'].url}/v1/events:ndjson", content=chunk).status_code == 200
            if n % 2 == 1:
                await asyncio.sleep(rnd.uniform(0.2, 1.0))
                stack.kill("notify")
                stack.start_one("notify")
                await asyncio.to_thread(stack.wait_ready, ("notify",))
    conn = await asyncpg.connect(settings.database_url)
    try:
        deadline = time.monotonic() + 180  # converged in ~40 s alone; CI machines may be busier
        while time.monotonic() < deadline:
            inbox = await conn.fetchval("SELECT count(*) FROM notify_inbox")
            raised = await conn.fetchval("SELECT count(*) FROM alerts_raised")
            pending = await conn.fetchval("SELECT count(*) FROM notify_deliveries WHERE status <> 'delivered'")
            if inbox == raised and pending == 0 and inbox:
                break
            await asyncio.sleep(0.5)
        # only the unit's own channel is configured: alerts whose recipients include the unit reach it
        rows = await conn.fetch("SELECT alert_id, unit, body FROM notify_inbox")
        expected = {f"/{r['unit']}|{r['alert_id']}" for r in rows if "unit" in orjson.loads(r["body"])["recipients"]}
        delivered = await conn.fetchval("SELECT count(*) FROM notify_deliveries WHERE status = 'delivered'")
        stuck = await conn.fetch("SELECT status, attempts, last_code, last_error, next_at - now() AS due_in "
                                 "FROM notify_deliveries WHERE status <> 'delivered' LIMIT 5")
    finally:
        await conn.close()
    assert inbox == raised and pending == 0, (inbox, raised, pending, [dict(r) for r in stuck])
    assert delivered == len(expected) and expected
    assert set(received) == expected, f"missing {len(expected - set(received))}"
    twice = {k: n for k, n in received.items() if n > 1}
    assert not twice, f"{len(twice)} alerts reached their receiver twice unannounced"
