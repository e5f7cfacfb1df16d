"""The raw intake topic on real Kafka: valid events are forwarded keyed by case, every bad one goes to the
dead-letter topic with its reason, and the consumer keeps going."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.testclient import TestClient

from caseflow.infra import kafka, topics
from caseflow.infra.settings import Settings
from caseflow_intake.main import bootstrap
from tests.corpus import BAD, GOOD, hostile_corpus


async def drain(settings: Settings, name: str, want: int, timeout: float = 30.0) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(settings.topic(name), p) for p in range(settings.partitions)])
        got: list[Any] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(got) < want and loop.time() < end:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                got += records
        return got
    finally:
        await consumer.stop()


async def test_raw_topic_forwards_and_dead_letters(settings: Settings) -> None:
    await topics.ensure_topics(settings)
    producer = kafka.producer(settings)
    await producer.start()
    try:
        for raw in [*GOOD, *BAD, GOOD[0]]:  # the last one is a duplicate
            await producer.send_and_wait(settings.topic("intake-raw"), raw, key=b"platform")
    finally:
        await producer.stop()
    with TestClient(bootstrap(settings)):
        forwarded = await drain(settings, "case-events", len(GOOD))
        dead = await drain(settings, "dead-letter", len(BAD))
        await asyncio.sleep(1)
        extra = await drain(settings, "case-events", len(GOOD) + 1, timeout=2)
    assert sorted(r.value for r in forwarded) == sorted(GOOD)
    assert all(r.key == b"YH-2026-100231" for r in forwarded)
    assert len(extra) == len(GOOD), "the duplicate was forwarded"
    assert sorted(r.value for r in dead) == sorted(BAD)
    reasons = {r.value: dict(r.headers) for r in dead}
    assert reasons[BAD[1]]["field"] == b"data"
    assert reasons[BAD[2]]["field"] == b"data.unit"
    assert all(h["reason"] and h["source"].startswith(settings.topic("intake-raw").encode()) for h in reasons.values())




async def test_hostile_messages_all_dead_letter_with_reasons_and_the_consumer_keeps_going(settings: Settings) -> None:
    corpus = hostile_corpus(180)
    last = (b'{"event_id":"fz-last","case_id":"FZ-1","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00",'
            b'"data":{}}')
    await topics.ensure_topics(settings)
    producer = kafka.producer(settings, max_request_size=2 << 20)
    await producer.start()
    try:
        for raw in [*corpus, last]:
            await producer.send_and_wait(settings.topic("intake-raw"), raw, key=b"platform")
    finally:
        await producer.stop()
    with TestClient(bootstrap(settings)):
        forwarded = await drain(settings, "case-events", 1, timeout=60)
        while not any(r.value == last for r in forwarded):
            more = await drain(settings, "case-events", len(forwarded) + 1, timeout=30)
            assert len(more) > len(forwarded), "the consumer stopped before the last message"
            forwarded = more
        dead = await drain(settings, "dead-letter", len(corpus) + 1 - len(forwarded), timeout=60)
    assert len(forwarded) + len(dead) == len(corpus) + 1  # every message went one way or the other
    assert all(dict(r.headers)["reason"] for r in dead)
    assert len(dead) > 150  # nearly all are invalid; the few forwarded are valid mutations

