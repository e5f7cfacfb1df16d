"""Reading Kafka or the archive one partition at a time, for the spool's reader processes: what to read
(`plan_reads`: each partition's offset range on Kafka, the partitions in the archive, and how many
records in all), and writing a share of the partitions, each into its own file (`write_partitions`).
Kafka is read without a consumer group (partitions assigned by hand), so live consumers are never
disturbed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow.infra import archive
from caseflow.replay.sources import Source, SourceError

_FLUSH = 20_000  # records per write


@dataclass(frozen=True)
class PartitionRange:
    partition: int
    start: int = 0  # Kafka: first offset to read
    end: int = 0  # Kafka: the offset reading stops at (exclusive); the archive selects by time instead


def _consumer(source: Source) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(bootstrap_servers=source.bootstrap, group_id=None, enable_auto_commit=False,
                            isolation_level="read_committed", max_partition_fetch_bytes=4 << 20)


async def _kafka_started(source: Source) -> AIOKafkaConsumer:
    consumer = _consumer(source)
    try:
        await consumer.start()
    except Exception as exc:
        raise SourceError(f"cannot reach Kafka at {source.bootstrap}: {exc}") from exc
    return consumer


async def _archive_pool(source: Source) -> asyncpg.Pool:
    try:
        # custom plans: a generic plan of the page query cannot prune partitions by the bounds it is given
        pool = await asyncpg.create_pool(source.database_url, min_size=1, max_size=2,
                                         server_settings={"plan_cache_mode": "force_custom_plan"})
    except (OSError, asyncpg.PostgresError) as exc:
        raise SourceError(f"cannot connect to the archive database: {exc}") from exc
    assert pool is not None
    return pool


async def plan_reads(source: Source) -> tuple[list[PartitionRange], int]:
    """The partitions to read and the number of records they hold."""
    if source.kind == "kafka":
        consumer = await _kafka_started(source)
        try:
            # The consumer's own metadata holds only assigned topics; ask the cluster (what topics() does).
            cluster = await consumer._client.fetch_all_metadata()
            found = cluster.partitions_for_topic(source.topic)
            if not found:
                raise SourceError(f"no topic {source.topic!r} on {source.bootstrap} (check --topic)")
            tps = [TopicPartition(source.topic, p) for p in sorted(found)]
            starts = await _offsets_at(consumer, tps, source.since, await consumer.beginning_offsets(tps))
            ends = await _offsets_at(consumer, tps, source.until, await consumer.end_offsets(tps))
        finally:
            await consumer.stop()
        ranges = [PartitionRange(tp.partition, starts[tp], ends[tp]) for tp in tps]
        return ranges, sum(max(0, r.end - r.start) for r in ranges)
    pool = await _archive_pool(source)
    try:
        if await pool.fetchval("SELECT to_regclass('event_archive')") is None:
            raise SourceError("that database has no event_archive table (is it caseflow's DATABASE_URL?)")
        parts = await archive.partitions_of(pool, source.topic)
        total = await archive.count(pool, source.topic, source.since, source.until)
    finally:
        await pool.close()
    return [PartitionRange(p) for p in parts], total


async def _offsets_at(consumer: AIOKafkaConsumer, tps: list[TopicPartition], at: int | None,
                      default: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
    if at is None:
        return default
    found = await consumer.offsets_for_times({tp: at for tp in tps})
    ends = await consumer.end_offsets(tps)
    return {tp: (found[tp].offset if found.get(tp) is not None else ends[tp]) for tp in tps}


async def write_partitions(source: Source, ranges: Sequence[PartitionRange], work: Path,
                           one_line: Callable[[bytes], bytes], done: Any) -> None:
    """Each partition's records, in offset order, one per line, into work/<partition>.jsonl;
    `done.value` counts the records written."""
    files = {r.partition: (work / f"{r.partition}.jsonl").open("wb") for r in ranges}
    try:
        def write(partition: int, raws: list[bytes]) -> None:
            if raws:
                files[partition].write(b"\n".join([one_line(raw) for raw in raws]) + b"\n")
                done.value += len(raws)
        if source.kind == "kafka":
            await _write_kafka(source, ranges, write)
        else:
            await _write_archive(source, ranges, write)
    finally:
        for f in files.values():
            f.close()


async def _write_kafka(source: Source, ranges: Sequence[PartitionRange],
                       write: Callable[[int, list[bytes]], None]) -> None:
    wanted = [r for r in ranges if r.end > r.start]
    if not wanted:
        return
    consumer = await _kafka_started(source)
    try:
        ends = {TopicPartition(source.topic, r.partition): r.end for r in wanted}
        consumer.assign(list(ends))
        for r in wanted:
            consumer.seek(TopicPartition(source.topic, r.partition), r.start)
        open_tps = list(ends)
        while open_tps:
            batches = await consumer.getmany(*open_tps, timeout_ms=1000, max_records=_FLUSH)
            for tp, records in batches.items():
                write(tp.partition, [r.value or b"" for r in records if r.offset < ends[tp]])
            # Stop on the position, not on a record: control records (transactions) have offsets but no record.
            open_tps = [tp for tp in open_tps if await consumer.position(tp) < ends[tp]]
    finally:
        await consumer.stop()


async def _write_archive(source: Source, ranges: Sequence[PartitionRange],
                         write: Callable[[int, list[bytes]], None]) -> None:
    pool = await _archive_pool(source)
    try:
        for r in ranges:
            fetch = archive.partition_pages(pool, source.topic, r.partition, source.since, source.until)
            while page := await fetch():
                write(r.partition, [raw for _, raw in page])
    finally:
        await pool.close()
