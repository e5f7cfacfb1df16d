"""Kafka and the archive replay on the bucketed engine: spooled in replay order, partitioned by case,
folded by 1, 2 or 4 workers, with the file's numbers, whatever JSON spelling the records use."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from caseflow.config.rules import load_rules
from caseflow.config.schemes import load_schemes
from caseflow.config.units import load_directory
from caseflow.evaluation.periods import make_period
from caseflow.infra import db
from caseflow.infra.archive import archive_records
from caseflow.infra.settings import Settings
from caseflow.replay import loading
from caseflow.replay.output import as_document
from caseflow.replay.sources import Source
from caseflow.replay.spool import one_line
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow.sample.spellings import respelled

SHAPE = Shape(cases=500, units=6, regions=2, seed=23)
PERIOD = make_period("2026-10", None, None, None)


async def produce_and_archive(settings: Settings, topic: str, lines: list[bytes]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 4, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for line in lines:  # keyed by case, as intake writes them
            doc = _object(line)
            await producer.send(topic, line, key=str(doc.get("case_id") if isinstance(doc, dict) else "-").encode())
        await producer.flush()
    finally:
        await producer.stop()
    pool = await db.connect(settings.database_url)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(4)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                async with pool.acquire() as conn, conn.transaction():
                    await archive_records(conn, records)
    finally:
        await consumer.stop()
        await pool.close()


async def test_kafka_and_archive_replay_in_buckets_like_the_file(settings: Settings, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    directory, rules, schemes = load_directory(tmp_path / "units.yaml"), load_rules(), load_schemes()
    compact = [line for line in generate(SHAPE) if line.strip()]
    valid = [line for line in compact if isinstance(_object(line), dict)]  # what intake lets through
    spelled = [line.rstrip(b"\r\n") for line in respelled(valid, "escaped-ids", seed=5)]
    file = tmp_path / "events.jsonl"
    file.write_bytes(b"".join(valid))
    topic = settings.topic("case-events")
    await produce_and_archive(settings, topic, spelled)
    monkeypatch.setattr(loading, "PARALLEL_FILE", 0)  # a small month, on the bucketed path all the same
    expected = as_document(loading.compute(Source("file", path=file), PERIOD, rules, directory, schemes, 2, False))
    sources = {"kafka": Source("kafka", bootstrap=settings.kafka_bootstrap_servers, topic=topic),
               "archive": Source("archive", database_url=settings.database_url, topic=topic)}
    for name, source in sources.items():
        for workers in (1, 2, 4):
            got = await asyncio.to_thread(loading.compute, source, PERIOD, rules, directory, schemes, workers, False)
            assert as_document(got) == expected, (name, workers)


def _object(line: bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def test_a_record_over_several_lines_is_spooled_as_one() -> None:
    assert one_line(b'{"a": 1,\n "b": [2,\n 3]}') == b'{"a":1,"b":[2,3]}'
    assert one_line(b"not\njson") == b"not json"
    assert one_line(b'{"a":1}') == b'{"a":1}'


async def test_kafka_and_archive_read_in_one_order_whatever_the_readers(settings: Settings, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Partition by partition, each by offset: records intake would refuse (not JSON, no case) keep
    one place in the replay, so Kafka and the archive give one document, with 1, 2 or 4 readers."""
    shape = Shape(cases=120, units=4, regions=2, seed=29)
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    directory, rules, schemes = load_directory(tmp_path / "units.yaml"), load_rules(), load_schemes()
    lines = [line.rstrip(b"\n") for line in generate(shape) if isinstance(_object(line), dict)]
    odd = [b'{"event_id": "odd-1", "case_id": "C-ODD", "type": "nonsense"}', b'{"event_id": "odd-2",\n "case_id"']
    lines = lines[:100] + odd[:1] + lines[100:400] + odd[1:] + lines[400:]
    topic = settings.topic("case-events-order")
    await produce_and_archive(settings, topic, lines)
    monkeypatch.setattr(loading, "PARALLEL_FILE", 0)
    documents = {}
    for name, source in {"kafka": Source("kafka", bootstrap=settings.kafka_bootstrap_servers, topic=topic),
                         "archive": Source("archive", database_url=settings.database_url, topic=topic)}.items():
        for workers in (1, 2, 4):
            got = await asyncio.to_thread(loading.compute, source, PERIOD, rules, directory, schemes, workers, False)
            documents[name, workers] = as_document(got)
    first = documents["kafka", 1]
    invalid = [r for r in first["rejected"] if r["reason"] == "invalid"]
    assert [r["event_id"] for r in invalid] in (["odd-1", None], [None, "odd-1"]), invalid
    assert all(doc == first for doc in documents.values())
