"""Where a replay reads its events: a file, the case-events topic (a time range), or the archive.

Kafka and the archive are read in one order (partitions merged by record timestamp, each in offset
order), so both give the same stream; a file is read in its line order. Reading Kafka uses no
consumer group (partitions are assigned by hand), so the live consumers are never disturbed.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow.evaluation.periods import PeriodError, parse_instant
from caseflow.infra import archive


class SourceError(ValueError):
    """The source cannot be opened; the message says which option to fix."""


@dataclass(frozen=True)
class Source:
    kind: str  # file | kafka | archive
    path: Path | None = None
    bootstrap: str = ""
    database_url: str = ""
    topic: str = ""
    since: int | None = None  # record timestamps, ms; None = from the beginning
    until: int | None = None  # exclusive; None = up to the end when reading starts

    def describe(self) -> str:
        if self.kind == "file":
            return f"file {self.path}"
        where = self.bootstrap if self.kind == "kafka" else "PostgreSQL archive"
        return f"{self.kind} {self.topic} ({where})"


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("event source (exactly one)")
    one = g.add_mutually_exclusive_group(required=True)
    one.add_argument("--input", type=Path, help="a file of events, one contract-v1 JSON object per line")
    one.add_argument("--from-kafka", action="store_true",
                     help="the case-events topic (KAFKA_BOOTSTRAP_SERVERS; read without a consumer group)")
    one.add_argument("--from-archive", action="store_true", help="the PostgreSQL event archive (DATABASE_URL)")
    g.add_argument("--kafka", help="bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)")
    g.add_argument("--database-url", help="PostgreSQL URL (default: DATABASE_URL)")
    g.add_argument("--topic", help="topic name as written in the archive / on Kafka "
                                   "(default: $CASEFLOW_TOPIC_PREFIX.case-events, prefix `caseflow`)")
    g.add_argument("--since", help="Kafka/archive: records timestamped at or after this (default: all)")
    g.add_argument("--until", help="Kafka/archive: records timestamped before this (default: up to the end)")


def source_from_args(args: argparse.Namespace) -> Source:
    if args.input is not None:
        if args.since or args.until:
            raise SourceError("--since/--until select records on Kafka or in the archive; a file is read whole")
        return Source("file", path=args.input)
    try:
        since = parse_instant(args.since, "since") if args.since else None
        until = parse_instant(args.until, "until") if args.until else None
    except PeriodError as exc:
        raise SourceError(str(exc)) from exc
    topic = args.topic or f"{os.environ.get('CASEFLOW_TOPIC_PREFIX', 'caseflow')}.case-events"
    if args.from_kafka:
        bootstrap = args.kafka or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or ""
        if not bootstrap:
            raise SourceError("--from-kafka needs --kafka HOST:PORT or KAFKA_BOOTSTRAP_SERVERS")
        return Source("kafka", bootstrap=bootstrap, topic=topic, since=since, until=until)
    url = args.database_url or os.environ.get("DATABASE_URL") or ""
    if not url:
        raise SourceError("--from-archive needs --database-url or DATABASE_URL")
    return Source("archive", database_url=url, topic=topic, since=since, until=until)


def open_input(source: Source) -> tuple[BinaryIO, int]:
    """The --input file and its size, or a SourceError naming it."""
    assert source.path is not None
    try:
        return source.path.open("rb"), source.path.stat().st_size
    except OSError as exc:
        raise SourceError(f"cannot read --input {source.path}: {exc.strerror}") from exc


Progress = Callable[[int | None], Callable[[int], None]]  # given a total (or None), returns an advance(n)


async def read(source: Source, progress: Progress) -> AsyncIterator[bytes]:
    """Every event on Kafka or in the archive, in replay order (a file is read by `loading` directly)."""
    async for batch in read_batches(source, progress):
        for raw in batch:
            yield raw


def read_batches(source: Source, progress: Progress) -> AsyncIterator[list[bytes]]:
    """`read`, a batch of records at a time (what the spool writes)."""
    return (_read_kafka if source.kind == "kafka" else _read_archive)(source, progress)


async def _read_archive(source: Source, progress: Progress) -> AsyncIterator[list[bytes]]:
    try:
        # custom plans: a generic plan of the page query cannot prune partitions by the bounds it is given
        pool = await asyncpg.create_pool(source.database_url, min_size=1, max_size=4,
                                         server_settings={"plan_cache_mode": "force_custom_plan"})
    except (OSError, asyncpg.PostgresError) as exc:
        raise SourceError(f"cannot connect to the archive database: {exc}") from exc
    assert pool is not None
    try:
        if await pool.fetchval("SELECT to_regclass('event_archive')") is None:
            raise SourceError("that database has no event_archive table (is it caseflow's DATABASE_URL?)")
        advance = progress(await archive.count(pool, source.topic, source.since, source.until))
        parts = await archive.partitions_of(pool, source.topic)
        pages = [(p, archive.partition_pages(pool, source.topic, p, source.since, source.until)) for p in parts]
        async for batch in archive.merged_pages(pages):
            advance(len(batch))
            yield batch
    finally:
        await pool.close()


async def _read_kafka(source: Source, progress: Progress) -> AsyncIterator[list[bytes]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=source.bootstrap, group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", max_partition_fetch_bytes=4 << 20)
    try:
        await consumer.start()
    except Exception as exc:
        raise SourceError(f"cannot reach Kafka at {source.bootstrap}: {exc}") from exc
    try:
        # The consumer's own metadata holds only assigned topics; ask the cluster (what topics() does).
        cluster = await consumer._client.fetch_all_metadata()
        found = cluster.partitions_for_topic(source.topic)
        if not found:
            raise SourceError(f"no topic {source.topic!r} on {source.bootstrap} (check --topic)")
        tps = [TopicPartition(source.topic, p) for p in sorted(found)]
        consumer.assign(tps)
        starts = await _offsets_at(consumer, tps, source.since, default=await consumer.beginning_offsets(tps))
        ends = await _offsets_at(consumer, tps, source.until, default=await consumer.end_offsets(tps))
        advance = progress(sum(max(0, ends[tp] - starts[tp]) for tp in tps))
        for tp in tps:
            consumer.seek(tp, starts[tp])
        pages = [(tp.partition, _pages(consumer, tp, ends[tp])) for tp in tps if ends[tp] > starts[tp]]
        async for batch in archive.merged_pages(pages):
            advance(len(batch))
            yield batch
    finally:
        await consumer.stop()


async def _offsets_at(consumer: AIOKafkaConsumer, tps: list[TopicPartition], at: int | None,
                      default: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
    if at is None:
        return default
    found = await consumer.offsets_for_times({tp: at for tp in tps})
    ends = await consumer.end_offsets(tps)
    return {tp: (found[tp].offset if found.get(tp) is not None else ends[tp]) for tp in tps}


def _pages(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> archive.PageFetcher:
    async def fetch() -> archive.Page:
        # Stop on the position, not on a record: control records (transactions) have offsets but no record.
        while await consumer.position(tp) < end:
            batches = await consumer.getmany(tp, timeout_ms=1000, max_records=20_000)
            page = [(r.timestamp, r.value or b"") for r in batches.get(tp, []) if r.offset < end]
            if page:
                return page
        return []
    return fetch
