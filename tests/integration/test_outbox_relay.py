"""The outbox relay on real Kafka and PostgreSQL: a crash between sending and deleting sends nothing twice."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow.infra import db, kafka, topics
from caseflow.infra.outbox import OutboxRelay, enqueue
from caseflow.infra.settings import Settings

SOURCE = "test-relay"


class CrashOnDelete:
    """A connection that dies where a kill -9 hurts most: after Kafka acknowledged, before the DELETE."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def fetch(self, *args: Any) -> Any:
        return await self.conn.fetch(*args)

    async def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("DELETE"):
            raise ConnectionError("killed")
        return await self.conn.execute(sql, *args)


async def read_topic(settings: Settings, topic: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        out: list[dict[str, Any]] = []
        while sum(ends.values()) > len(out):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out += [orjson.loads(r.value) for r in records]
        return out
    finally:
        await consumer.stop()


async def test_relay_resumes_after_a_crash_without_duplicates(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    await topics.ensure_topics(settings)
    topic = settings.topic("alerts")
    producer = kafka.producer(settings)
    await producer.start()
    try:
        await pool.executemany("INSERT INTO outbox (source, topic, key, value) VALUES ($1, $2, $3, $4)",
                               [(SOURCE, topic, f"U{i % 5}", orjson.dumps({"n": i})) for i in range(40)])
        crashed = OutboxRelay(pool, producer, settings.kafka_bootstrap_servers, SOURCE, [topic], batch=25)
        crashed._partitions[topic] = sorted(await producer.partitions_for(topic))
        async with pool.acquire() as conn:
            with pytest.raises(ConnectionError):
                await crashed._relay_once(CrashOnDelete(conn))  # type: ignore[arg-type]
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 40  # nothing deleted
        assert len(await read_topic(settings, topic)) == 25  # but 25 already in Kafka

        relay = OutboxRelay(pool, producer, settings.kafka_bootstrap_servers, SOURCE, [topic])
        task = asyncio.create_task(relay.run())
        for _ in range(100):
            if await pool.fetchval("SELECT count(*) FROM outbox") == 0:
                break
            await asyncio.sleep(0.1)
        await relay.stop()
        await asyncio.wait_for(task, 10)
        numbers = sorted(m["n"] for m in await read_topic(settings, topic))
        assert numbers == list(range(40))
    finally:
        await producer.stop()
        await pool.close()


async def test_a_second_relay_of_the_same_source_waits(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    await topics.ensure_topics(settings)
    producer = kafka.producer(settings)
    await producer.start()
    try:
        topic = settings.topic("alerts")
        first = OutboxRelay(pool, producer, settings.kafka_bootstrap_servers, SOURCE, [topic])
        second = OutboxRelay(pool, producer, settings.kafka_bootstrap_servers, SOURCE, [topic])
        tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
        await pool.executemany("INSERT INTO outbox (source, topic, key, value) VALUES ($1, $2, $3, $4)",
                               [(SOURCE, topic, "U1", orjson.dumps({"n": i})) for i in range(200)])
        for _ in range(100):
            if await pool.fetchval("SELECT count(*) FROM outbox") == 0:
                break
            await asyncio.sleep(0.1)
        await first.stop()
        await second.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        assert sorted(m["n"] for m in await read_topic(settings, topic)) == list(range(200))
        assert {first.sent, second.sent} == {0, 200}
    finally:
        await producer.stop()
        await pool.close()


async def test_a_transaction_committing_after_a_later_one_is_still_relayed(settings: Settings) -> None:
    """Two writers of one source (a consumer and the deadline clock, or two replicas): the one that took
    its outbox id first commits last. Its message must still go out (ids follow commit order)."""
    pool = await db.connect(settings.database_url)
    await topics.ensure_topics(settings)
    producer = kafka.producer(settings)
    await producer.start()
    topic = settings.topic("alerts")
    relay = OutboxRelay(pool, producer, settings.kafka_bootstrap_servers, SOURCE, [topic])
    task = asyncio.create_task(relay.run())
    try:
        slow = await pool.acquire()
        transaction = slow.transaction()
        await transaction.start()
        await enqueue(slow, SOURCE, [(topic, "U1", orjson.dumps({"n": "slow"}), {})])

        async def quick() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(conn, SOURCE, [(topic, "U1", orjson.dumps({"n": "quick"}), {})])
        quick_task = asyncio.create_task(quick())
        await asyncio.sleep(1.0)  # the relay polls meanwhile
        await transaction.commit()
        await pool.release(slow)
        await asyncio.wait_for(quick_task, 10)
        for _ in range(100):
            if await pool.fetchval("SELECT count(*) FROM outbox") == 0:
                break
            await asyncio.sleep(0.1)
        assert [m["n"] for m in await read_topic(settings, topic)] == ["slow", "quick"]
    finally:
        await relay.stop()
        await asyncio.wait_for(task, 10)
        await producer.stop()
        await pool.close()
