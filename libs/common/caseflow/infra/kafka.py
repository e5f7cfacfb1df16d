"""Kafka adapters: an idempotent producer and a consumer whose offsets live in PostgreSQL (topics:
infra.topics)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)

from caseflow.infra import db, metrics
from caseflow.infra.settings import Settings

log = logging.getLogger(__name__)

# aiokafka resets a partition's position (ListOffsets) without refreshing its metadata when the broker
# answers "not the leader": after a leader moved, a consumer retried the old leader until the periodic
# refresh (default 5 minutes) and a replica that took over stood still. A 5 s refresh bounds that.
METADATA_MAX_AGE_MS = 5_000

BatchHandler = Callable[[asyncpg.Connection, Sequence[ConsumerRecord[bytes, bytes]]], Awaitable[None]]


def producer(settings: Settings, **extra: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                            enable_idempotence=True, linger_ms=2, **extra)


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, owner: PostgresOffsetConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.owner.drain()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self.owner.seek_stored(assigned)


class PostgresOffsetConsumer:
    """Consumes one topic in batches; each batch's effects and offsets commit in one transaction.

    After any crash the batch is either wholly committed (offsets moved past it) or not at all
    (redelivered), so handlers that are idempotent by event id give effectively-once results.
    """

    def __init__(self, settings: Settings, pool: asyncpg.Pool, topic: str, group: str, handler: BatchHandler,
                 after_commit: Callable[[], None] | None = None) -> None:
        self.settings, self.pool, self.topic, self.group, self.handler = settings, pool, topic, group, handler
        self.after_commit = after_commit
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=settings.consumer_batch, isolation_level="read_committed",
            # Under load, fewer and fuller fetches (the broker's CPU is the scarcest on a small machine);
            # idle, a record waits at most fetch_wait_ms more.
            fetch_min_bytes=settings.consumer_fetch_min_bytes, fetch_max_wait_ms=settings.consumer_fetch_wait_ms,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )
        self._busy = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.assigned = asyncio.Event()  # set while the group gives this member at least one partition
        self.retry_pause = 1.0
        metrics.BATCH_FAILURES.labels(group)  # the series exists (at 0) before any failure
        self.processed = 0
        self._behind: dict[int, int] = {}  # partition -> records behind its high watermark at the last batch
        self._recent: collections.deque[tuple[float, int]] = collections.deque()  # (monotonic, records) per batch

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.subscribe([self.topic], listener=_SeekToStored(self))

    async def seek_stored(self, assigned: list[TopicPartition]) -> None:
        async with self.pool.acquire() as conn:
            stored = await db.load_offsets(conn, self.group, self.topic)
        for tp in assigned:
            # a partition never committed starts at 0, a plain fetch (which follows a moved leader at once);
            # if retention removed the start, auto_offset_reset=earliest takes the first offset kept
            self.consumer.seek(tp, stored.get(tp.partition, 0))
        if assigned:
            self.assigned.set()
        else:  # more members than partitions: this replica is idle, and not ready (kept out of rotation)
            self.assigned.clear()

    async def _rewind(self, partitions: list[TopicPartition]) -> None:
        while not self._stopping.is_set():
            try:
                await self.seek_stored(partitions)
                return
            except Exception:
                log.warning("cannot read stored offsets yet; retrying")
                await asyncio.sleep(self.retry_pause)

    def records_behind(self) -> int:
        """Records this replica has yet to consume on the partitions it holds, as of its last batch (a
        partition just taken over counts from its first batch)."""
        held = {tp.partition for tp in self.consumer.assignment()}
        return sum(n for partition, n in self._behind.items() if partition in held)

    def records_recent(self, seconds: float = 5.0) -> int:
        """Records this replica committed in the last `seconds` (a city's live feed is a few a second; a
        replica catching up takes hundreds)."""
        since = time.monotonic() - seconds
        while self._recent and self._recent[0][0] < since:
            self._recent.popleft()
        return sum(n for _, n in self._recent)

    async def drain(self) -> None:
        async with self._busy:
            pass

    async def run(self) -> None:
        while not self._stopping.is_set():
            batches = await self.consumer.getmany(timeout_ms=200)
            if not batches:
                continue
            async with self._busy:
                records = [r for part in batches.values() for r in part]
                offsets = {tp.partition: part[-1].offset + 1 for tp, part in batches.items()}
                try:
                    with metrics.BATCH_SECONDS.labels(self.group).time():
                        async with self.pool.acquire() as conn, conn.transaction():
                            await self.handler(conn, records)
                            await db.save_offsets(conn, self.group, self.topic, offsets)
                except Exception:
                    # Nothing of the batch was committed (one transaction). Retry it from the stored
                    # offsets after a pause: PostgreSQL may be restarting; the consumer never gives up.
                    metrics.BATCH_FAILURES.labels(self.group).inc()
                    log.exception("batch of %d records failed; retrying from the committed offsets", len(records))
                    await asyncio.sleep(self.retry_pause)
                    await self._rewind(list(batches))
                    continue
                self.processed += len(records)
                self._recent.append((time.monotonic(), len(records)))
                metrics.EVENTS_CONSUMED.labels(self.group, self.topic).inc(len(records))
                for tp, part in batches.items():
                    high = self.consumer.highwater(tp)
                    if high is not None:
                        self._behind[tp.partition] = max(0, high - part[-1].offset - 1)
                        metrics.CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(
                            self._behind[tp.partition])
                if self.after_commit is not None:
                    self.after_commit()
                # Mirror to Kafka for lag tooling; the database copy is the one that counts.
                try:
                    await self.consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})
                except Exception as exc:  # a rebalance in flight: the next batch commits again
                    log.debug("offset mirror to Kafka skipped: %s", exc)

    async def stop(self) -> None:
        self._stopping.set()
        async with self._busy:
            await stop_consumer(self.consumer)


STOP_SECONDS = 15.0


async def stop_consumer(consumer: AIOKafkaConsumer, within: float = STOP_SECONDS) -> None:
    """Stop a consumer, giving up after `within` seconds: aiokafka's stop can wait for ever for a group
    coordinator that is not there (a broker that just started, or gone: aio-libs/aiokafka#659), and a
    service that cannot stop is worse than one that leaves its group by session timeout (our offsets live
    in PostgreSQL; nothing is lost)."""
    try:
        await asyncio.wait_for(consumer.stop(), within)
    except TimeoutError:
        log.warning("the Kafka consumer did not stop within %.0f s (no group coordinator?); leaving it", within)


async def run_consumer(consumer: PostgresOffsetConsumer, stopping: asyncio.Event) -> None:
    """Run a second consumer of a service (beside its lifespan's) until `stopping`."""
    await consumer.start()
    task = asyncio.create_task(consumer.run(), name=f"{consumer.group}-consumer")
    try:
        await stopping.wait()
    finally:
        await consumer.stop()  # PostgresOffsetConsumer.stop: within STOP_SECONDS
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
