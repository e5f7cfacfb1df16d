"""A batch that fails is retried from the committed offsets: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg

from caseflow.infra import db, kafka, topics
from caseflow.infra.settings import Settings


async def test_failed_batch_is_retried_once_committed(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    await pool.execute("CREATE TABLE seen (value text PRIMARY KEY)")
    await topics.ensure_topics(settings)
    topic = settings.topic("case-events")
    producer = kafka.producer(settings)
    await producer.start()
    for i in range(20):
        await producer.send_and_wait(topic, f"v{i}".encode(), key=f"k{i}".encode())
    await producer.stop()
    calls = {"n": 0}

    async def handler(conn: asyncpg.Connection, records: Sequence[Any]) -> None:
        await conn.executemany("INSERT INTO seen (value) VALUES ($1)", [(r.value.decode(),) for r in records])
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away mid-batch")

    consumer = kafka.PostgresOffsetConsumer(settings, pool, topic, "retry-test", handler)
    consumer.retry_pause = 0.1
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(150):
            if await pool.fetchval("SELECT count(*) FROM seen") == 20:
                break
            await asyncio.sleep(0.1)
        assert await pool.fetchval("SELECT count(*) FROM seen") == 20  # a duplicate insert would have failed
        assert calls["n"] >= 2 and not task.done()
    finally:
        await consumer.stop()
        await asyncio.wait([task], timeout=5)
        await pool.close()
