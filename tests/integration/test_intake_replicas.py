"""Intake behind several replicas (real PostgreSQL and Kafka, one pool and producer per replica): the
same batch sent to two replicas at once is accepted once, each event on the topic once; a resend to
the other replica is a duplicate; a batch whose publishing failed is not taken, so its retry is
accepted."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow.infra import db, kafka, topics
from caseflow.infra.settings import Settings
from caseflow_intake.accept import accept_events
from caseflow_intake.adapters import KafkaEventBus, PostgresAcceptedIds
from tests.support.events import ev


class SlowBus(KafkaEventBus):
    """A replica whose broker answers slowly: the window in which the other replica sees the same ids."""

    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        await asyncio.sleep(0.5)
        await super().publish(events)


class BrokenBus(KafkaEventBus):
    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        raise ConnectionError("broker away")


async def topic_event_ids(settings: Settings) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic("case-events"), p) for p in range(settings.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        got: list[str] = []
        while sum(ends.values()) > len(got):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                got += [orjson.loads(r.value)["event_id"] for r in records if r.value is not None]
        return got
    finally:
        await consumer.stop()


async def test_two_replicas_accept_each_event_once(settings: Settings) -> None:
    await topics.ensure_topics(settings)
    batch = [orjson.dumps(ev("reported", f"C{i:03d}", "2026-10-12 08:00")) for i in range(60)]
    replicas = []
    for bus_type in (SlowBus, KafkaEventBus):
        pool = await db.connect(settings.database_url)
        producer = kafka.producer(settings)
        await producer.start()
        bus = bus_type(producer, settings.topic("case-events"), settings.topic("dead-letter"))
        replicas.append((pool, producer, bus, PostgresAcceptedIds(pool)))
    try:
        (_, _, bus_a, ids_a), (_, _, bus_b, ids_b) = replicas
        first, second = await asyncio.gather(accept_events(batch, bus_a, ids_a), accept_events(batch, bus_b, ids_b))
        statuses = [a.status for a in first] + [b.status for b in second]
        assert statuses.count("accepted") == 60 and statuses.count("duplicate") == 60
        assert all({a.status, b.status} == {"accepted", "duplicate"} for a, b in zip(first, second, strict=True))
        resent = await accept_events(batch, bus_b, ids_b)
        assert {v.status for v in resent} == {"duplicate"}
        on_topic = await topic_event_ids(settings)
        assert len(on_topic) == len(set(on_topic)) == 60

        broken = BrokenBus(replicas[1][1], settings.topic("case-events"), settings.topic("dead-letter"))
        late = [orjson.dumps(ev("reported", "C999", "2026-10-12 09:00"))]
        with pytest.raises(ConnectionError):
            await accept_events(late, broken, ids_b)
        assert [v.status for v in await accept_events(late, bus_a, ids_a)] == ["accepted"]
    finally:
        for pool, producer, _, _ in replicas:
            await producer.stop()
            await pool.close()
