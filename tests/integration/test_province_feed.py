"""The province feed across two real Kafka clusters with Kafka's own MirrorMaker 2 between them: a city's
intake copies its accepted events without personal data onto its feed, MirrorMaker 2 takes the feed to
the province's cluster, the province's intake names each event by its city and accepts it once (also
after MirrorMaker 2 is killed with -9 and sends a stretch again), and a malformed or foreign event on a
city's feed is kept as a rejected record naming the city while the rest goes on."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import asyncpg
import orjson
import pytest
from fastapi.testclient import TestClient

from caseflow.infra import kafka, topics
from caseflow.infra.settings import Settings
from caseflow_devstack.kafka_local import LocalKafka, free_port
from caseflow_devstack.mirror_maker import LocalMirrorMaker
from caseflow_devstack.postgres_local import fresh_database
from caseflow_intake.main import bootstrap
from tests.conftest import CONTRACT
from tests.integration.test_raw_intake_topic import drain

PERSONAL = {"reporter", "address", "description", "lon", "lat", "by"}


@pytest.fixture(scope="module")
def province_kafka() -> Iterator[LocalKafka]:
    broker = LocalKafka(free_port(), free_port(), name=f"province-{os.getpid()}", heap="384m").start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.home, ignore_errors=True)


async def produce(settings: Settings, topic: str, values: list[bytes], key: bytes = b"platform") -> None:
    await topics.ensure_topics(settings)
    producer = kafka.producer(settings)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(settings.topic(topic), value, key=key)
    finally:
        await producer.stop()


def example_case(suffix: str = "") -> list[bytes]:
    lines = (CONTRACT / "examples.jsonl").read_bytes().splitlines()
    events = [orjson.loads(line) for line in lines if line.strip()]
    for e in events:
        e["event_id"] += suffix
        e["case_id"] += suffix
    return [orjson.dumps(e) for e in events]


async def until(predicate: Any, timeout: float, what: str) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        got = await predicate()
        if got:
            return got
        await asyncio.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")


async def test_a_city_feed_reaches_the_province_named_by_city_without_personal_data(
        settings: Settings, postgres_url: str, province_kafka: LocalKafka) -> None:
    city = settings.model_copy(update={"province_feed": True})
    province = Settings(kafka_bootstrap_servers=province_kafka.bootstrap,
                        database_url=await fresh_database(postgres_url, f"cf_prov{os.getpid()}"),
                        topic_prefix=settings.topic_prefix, city_feeds=True, api_keys="platform:k")
    await produce(city, "intake-raw", example_case())
    # a city's feed that carries what it must not: a malformed line, a personal field, then a good event
    foreign = orjson.loads(example_case("-x")[0])
    await produce(city, "province-feed", [b"{not json", orjson.dumps(foreign)], key=b"odd")
    mirror = LocalMirrorMaker({"hz": city.kafka_bootstrap_servers}, "province", province.kafka_bootstrap_servers,
                              topics=re.escape(city.topic("province-feed")), name=f"mm2-{os.getpid()}")
    with TestClient(bootstrap(city)), TestClient(bootstrap(province)):
        mirror.start()
        try:
            await until(lambda: _at_least(province, 9), 120, "the example case in the province")
            mirror.kill()  # kill -9 mid-stream; what it sent after its last commit is sent again
            await produce(city, "intake-raw", example_case("-2"))
            mirror.start()
            await until(lambda: _at_least(province, 18), 120, "the second case after the restart")
            await asyncio.sleep(8)  # MirrorMaker's repeats, if any, have arrived by now
            got = await drain(province, "case-events", 19, timeout=3)
            dead = await drain(province, "dead-letter", 3, timeout=10)  # each once, also after the restart
        finally:
            mirror.stop()
            shutil.rmtree(mirror.home, ignore_errors=True)
    events = [orjson.loads(r.value) for r in got]
    assert len(events) == 18 and len({e["event_id"] for e in events}) == 18, "each event once"
    assert all(e["event_id"].startswith("hz:") and e["case_id"].startswith("hz:") for e in events)
    assert {r.key for r in got} == {b"hz:YH-2026-100231", b"hz:YH-2026-100231-2"}
    reported = next(e for e in events if e["type"] == "reported")
    assert reported["data"]["region"] == "hz" and reported["data"]["city_region"] == "linping"
    assert next(e for e in events if e["type"] == "dispatched")["data"]["unit"] == "hz:U-HW-LP"
    assert not any(PERSONAL & set(e["data"]) for e in events), "personal data left the city"
    headers = [dict(r.headers) for r in dead]
    assert [h["city"] for h in headers] == [b"hz", b"hz"]
    assert {h["field"] for h in headers} == {b"(body)", b"data.address"}
    assert all(h["reason"].startswith(b"city hz: ") for h in headers)
    conn = await asyncpg.connect(province.database_url)
    try:
        kept = await conn.fetch("SELECT city, field FROM city_feed_rejections ORDER BY field")
    finally:
        await conn.close()
    assert [(r["city"], r["field"]) for r in kept] == [("hz", "(body)"), ("hz", "data.address")]


async def _at_least(settings: Settings, want: int) -> list[Any] | None:
    got = await drain(settings, "case-events", want, timeout=2)
    return got if len(got) >= want else None
