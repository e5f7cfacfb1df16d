"""The raw intake topic on real Kafka: valid events are forwarded keyed by case, every bad one goes to the
dead-letter topic with its reason, and the consumer keeps going."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.testclient import TestClient

from caseflow.infra import kafka
from caseflow.infra.settings import Settings
from caseflow.intake.main import bootstrap
from tests.conftest import CONTRACT

GOOD = (CONTRACT / "examples.jsonl").read_bytes().splitlines()
BAD = [
    b"{not json",
    b'{"event_id":"b1","case_id":"c","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00"}',
    b'{"event_id":"b2","case_id":"c","type":"dispatched","occurred_at":"2026-11-02T09:12:00+08:00","data":{"unit":7}}',
    b"[" * 5000 + b"]" * 5000,
    b'{"event_id":"b3","case_id":"c","type":"visited","occurred_at":"2026-11-02T09:12:00+08:00","data":{"result":'
    b'"satisfied","valid":1e999999}}',
    b"\xff\xfe\x00garbage",
    b'{"event_id":"b4\x01","case_id":"' + b"x" * 100 + b'","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00",'
    b'"data":{}}',
    b"",
]


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
    await kafka.ensure_topics(settings)
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


def hostile_corpus(n: int, seed: int = 11) -> list[bytes]:
    """Mutations of valid events (wrong types, missing fields, control characters, deep nesting, huge
    numbers, truncation, bad encodings, 900 KB fields), each with its own event_id."""
    import random

    import orjson

    rnd = random.Random(seed)
    base = [orjson.loads(line) for line in GOOD]
    weird: list[Any] = [None, True, 1e308, -(10**30), "", "\x00", "\u202e", "x" * 900_000, [], {}, [[[]]], 7]
    out: list[bytes] = []
    for i in range(n):
        event = {**rnd.choice(base), "event_id": f"fz-{i}"}
        event["data"] = dict(event.get("data", {}))
        kind = i % 9
        if kind == 0:
            event[rnd.choice(["case_id", "type", "occurred_at", "data"])] = rnd.choice(weird)
        elif kind == 1:
            event.pop(rnd.choice(["case_id", "type", "occurred_at", "data"]))
        elif kind == 2:
            event["data"][rnd.choice(["unit", "source", "result", "time_limit", "major"])] = rnd.choice(weird)
        elif kind == 3:
            event["case_id"] = "c" + "".join(chr(rnd.randrange(0, 32)) for _ in range(3))
        elif kind == 4:
            depth = rnd.choice([50, 500, 5000])
            deep = b"[" * depth + b"1" + b"]" * depth if rnd.random() < 0.5 else b'{"k":' * depth + b"1" + b"}" * depth
            out.append(orjson.dumps(event)[:-1] + b',"deep":' + deep + b"}")
            continue
        elif kind == 5:
            out.append(orjson.dumps(event)[: rnd.randrange(1, 60)])  # truncated
            continue
        elif kind == 6:
            out.append(orjson.dumps(event).decode().encode("utf-16"))  # wrongly encoded
            continue
        elif kind == 7:
            out.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300))))  # noise
            continue
        else:
            event["occurred_at"] = rnd.choice(["2026-13-40T99:00:00+08:00", "yesterday", "2026-11-02T09:12:00"])
        try:
            out.append(orjson.dumps(event))
        except (orjson.JSONEncodeError, TypeError):  # e.g. a number beyond 64 bits
            import json

            out.append(json.dumps(event).encode())
    return out


async def test_hostile_messages_all_dead_letter_with_reasons_and_the_consumer_keeps_going(settings: Settings) -> None:
    corpus = hostile_corpus(180)
    last = (b'{"event_id":"fz-last","case_id":"FZ-1","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00",'
            b'"data":{}}')
    await kafka.ensure_topics(settings)
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

