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


async def test_a_replica_without_partitions_is_not_ready_until_it_gets_one(settings: Settings) -> None:
    """One partition, two members of the group: only the holder counts as assigned (readiness); when it
    leaves, the other takes the partition and becomes ready."""
    one = settings.model_copy(update={"partitions": 1})
    await topics.ensure_topics(one)
    pool = await db.connect(settings.database_url)

    async def handler(conn: asyncpg.Connection, records: Sequence[Any]) -> None:
        pass

    members = [kafka.PostgresOffsetConsumer(one, pool, one.topic("alerts"), "readiness-test", handler)
               for _ in range(2)]
    tasks = []
    try:
        for member in members:
            await member.start()
            tasks.append(asyncio.create_task(member.run()))
        for _ in range(200):
            held = [m.assigned.is_set() for m in members]
            if sum(held) == 1 and all(m.consumer.assignment() is not None for m in members):
                await asyncio.sleep(1.0)  # the group settled: still one
                if [m.assigned.is_set() for m in members] == held:
                    break
            await asyncio.sleep(0.1)
        assert sum(m.assigned.is_set() for m in members) == 1
        holder, idle = (members[0], members[1]) if members[0].assigned.is_set() else (members[1], members[0])
        assert not idle.consumer.assignment()
        await holder.stop()
        for _ in range(300):
            if idle.assigned.is_set():
                break
            await asyncio.sleep(0.1)
        assert idle.assigned.is_set() and idle.consumer.assignment()
    finally:
        for member in members:
            await member.stop()
        await asyncio.wait(tasks, timeout=10)
        await pool.close()
