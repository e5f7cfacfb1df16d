"""Intake's adapters: Kafka for the event bus, PostgreSQL for accepted ids."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import asyncpg
from aiokafka import AIOKafkaProducer

from caseflow.infra.tracing import as_kafka, current_headers, tracer


class KafkaEventBus:
    def __init__(self, producer: AIOKafkaProducer, topic: str, dead_letter_topic: str) -> None:
        self.producer, self.topic, self.dead_letter_topic = producer, topic, dead_letter_topic

    async def dead_letter(self, rejected: Sequence[tuple[bytes, dict[str, str]]]) -> None:
        futures = [await self.producer.send(self.dead_letter_topic, raw,
                                            headers=[(k, v.encode()) for k, v in headers.items()])
                   for raw, headers in rejected]
        await asyncio.gather(*futures)

    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        futures = []
        for case_id, body in events:
            with tracer().start_as_current_span("intake.event", attributes={"case_id": case_id}):
                headers = as_kafka(current_headers())
                futures.append(await self.producer.send(self.topic, body, key=case_id.encode(), headers=headers))
        await asyncio.gather(*futures)


class PostgresAcceptedIds:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @contextlib.asynccontextmanager
    async def claim(self, pairs: Sequence[tuple[str, str]]) -> AsyncIterator[set[str]]:
        """The ids inserted now, in a transaction held while the caller publishes: another replica's
        insert of one of them waits on it, then conflicts (a duplicate) or, after a rollback, takes it.
        Sorted, so two claims of overlapping batches lock in one order."""
        ordered = sorted(pairs)
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "INSERT INTO intake_accepted (event_id, case_id) SELECT * FROM unnest($1::text[], $2::text[]) "
                "ON CONFLICT DO NOTHING RETURNING event_id", [e for e, _ in ordered], [c for _, c in ordered])
            yield {r["event_id"] for r in rows}


class PostgresCityRejections:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @contextlib.asynccontextmanager
    async def keep(self, city: str, rejected: Sequence[tuple[str, bytes, str, str]]) -> AsyncIterator[set[str]]:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "INSERT INTO city_feed_rejections (city, digest, raw, field, reason) "
                "SELECT $1, * FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[]) "
                "ON CONFLICT DO NOTHING RETURNING digest",
                city, [r[0] for r in rejected], [r[1] for r in rejected], [r[2] for r in rejected],
                [r[3] for r in rejected])
            yield {r["digest"] for r in rows}


async def database_reachable(pool: asyncpg.Pool) -> bool:
    try:
        await pool.fetchval("SELECT 1")
    except Exception:
        return False
    return True
