"""The outbox relay: rows committed with the state that produced them, sent to Kafka exactly once.

One relay per source holds a PostgreSQL advisory lock. Each message carries its outbox id in a
header and goes to an explicitly computed partition, in id order. After a crash (sent, but the rows
not yet deleted) the relay reads back the newest message of its own in every partition and skips the
rows Kafka already has, so no message is ever written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from caseflow.infra import metrics

log = logging.getLogger(__name__)
_partitioner = DefaultPartitioner()
ORDER_LOCKS = 1  # advisory lock namespace (two-key form): outbox order per source


async def enqueue(conn: asyncpg.Connection, source: str,
                  messages: Sequence[tuple[str, str, bytes, Mapping[str, object]]]) -> None:
    """Queue (topic, key, value, headers) messages in the caller's transaction: they reach Kafka,
    exactly once, after it commits (the relay of `source` sends them).

    The source's lock, held until the caller commits, makes outbox ids follow commit order: the relay
    sends in id order and, after a crash, skips ids Kafka already has, so an id that committed after a
    higher one would be skipped and lost (two writers of a source: a consumer and a clock, or replicas)."""
    if messages:
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", ORDER_LOCKS, source)
        await conn.executemany(
            "INSERT INTO outbox (source, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5::jsonb)",
            [(source, topic, key, value, orjson.dumps(dict(headers)).decode())
             for topic, key, value, headers in messages])


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, bootstrap: str, source: str,
                 topics: list[str], batch: int = 1000) -> None:
        self.pool, self.producer, self.bootstrap, self.source = pool, producer, bootstrap, source
        self.topics, self.batch = topics, batch
        self.wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._sent_upto: dict[tuple[str, int], int] = {}
        self._partitions: dict[str, list[int]] = {}
        self.sent = 0
        self.recovered = asyncio.Event()  # set once this relay holds the lock and knows what Kafka has
        self.standby = False  # another replica's relay holds the lock; this one takes over if it goes

    async def run(self) -> None:
        """Relay until stopped; after an error (PostgreSQL or Kafka away) start over: lock, recover, relay."""
        while not self._stopping.is_set():
            try:
                await self._run_locked()
            except Exception:
                self.recovered.clear()
                log.exception("outbox relay %s failed; restarting in 1 s", self.source)
                await asyncio.sleep(1.0)

    async def _run_locked(self) -> None:
        lock_key = zlib.crc32(self.source.encode())
        while not self._stopping.is_set():
            async with self.pool.acquire() as conn:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key):
                    self.standby = False
                    try:
                        await self._relay_locked(conn)
                    finally:
                        with contextlib.suppress(Exception):
                            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
                    return
            # Another replica relays; take over if it dies. A standby keeps no connection meanwhile: the
            # pool is the consumer's and the clock's (a held one made a small pool run out, issue #36).
            self.standby = True
            await asyncio.sleep(0.5)

    async def _relay_locked(self, conn: asyncpg.Connection) -> None:
        for topic in self.topics:
            self._partitions[topic] = sorted(await self.producer.partitions_for(topic))
        await self._recover()
        self.recovered.set()
        while not self._stopping.is_set():
            moved = await self._relay_once(conn)
            if moved < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=0.2)
                self.wakeup.clear()

    def _partition(self, topic: str, key: bytes) -> int:
        parts = self._partitions[topic]
        return int(_partitioner(key, parts, parts))

    async def _recover(self) -> None:
        """The newest outbox id of ours already in each partition (scanning back past other writers)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    isolation_level="read_committed")
        await consumer.start()
        try:
            tps = [TopicPartition(t, p) for t in self.topics for p in self._partitions[t]]
            ends = await consumer.end_offsets(tps)
            firsts = await consumer.beginning_offsets(tps)
            for tp in tps:
                if ends[tp] > firsts[tp]:
                    found = await _last_of_source(consumer, tp, self.source, firsts[tp], ends[tp])
                    if found is not None:
                        self._sent_upto[(tp.topic, tp.partition)] = found
        finally:
            await consumer.stop()
        if self._sent_upto:
            log.info("outbox %s: resuming after %s", self.source, self._sent_upto)

    async def _relay_once(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox WHERE source = $1 ORDER BY id LIMIT $2",
            self.source, self.batch)
        metrics.OUTBOX_PENDING.labels(self.source).set(len(rows))
        if not rows:
            return 0
        futures = []
        newest: dict[tuple[str, int], int] = defaultdict(int)
        for r in rows:
            key = r["key"].encode()
            p = self._partition(r["topic"], key)
            if r["id"] <= self._sent_upto.get((r["topic"], p), 0):
                continue  # Kafka has it already: sent just before a crash
            headers = [("outbox-source", self.source.encode()), ("outbox-id", str(r["id"]).encode())]
            headers += [(k, str(v).encode()) for k, v in _headers(r["headers"]).items()]
            futures.append(await self.producer.send(r["topic"], r["value"], key=key, partition=p, headers=headers))
            newest[(r["topic"], p)] = max(newest[(r["topic"], p)], r["id"])
        await asyncio.gather(*futures)
        self._sent_upto.update(newest)
        for r in rows:
            metrics.MESSAGES_PRODUCED.labels(self.source, r["topic"]).inc()
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        self.sent += len(futures)
        return len(rows)

    async def stop(self) -> None:
        self._stopping.set()


async def _last_of_source(consumer: AIOKafkaConsumer, tp: TopicPartition, source: str, first: int,
                          end: int) -> int | None:
    consumer.assign([tp])
    step = 200
    upper = end
    while upper > first:
        lower = max(first, upper - step)
        consumer.seek(tp, lower)
        best: int | None = None
        while True:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            records = batch.get(tp, [])
            if not records:
                break
            for rec in records:
                if rec.offset >= upper:
                    break
                heads = dict(rec.headers or ())
                if heads.get("outbox-source") == source.encode():
                    best = max(best or 0, int(heads["outbox-id"]))
            if records[-1].offset >= upper - 1:
                break
        if best is not None:
            return best
        upper = lower
        step *= 4
    return None


def _headers(raw: object) -> dict[str, object]:
    if isinstance(raw, str):
        return dict(orjson.loads(raw))
    return dict(raw or {})  # type: ignore[call-overload]
