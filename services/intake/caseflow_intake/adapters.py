"""Intake's adapters: Kafka for the event bus, PostgreSQL for accepted ids."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

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

    async def known(self, event_ids: Sequence[str]) -> set[str]:
        rows = await self.pool.fetch("SELECT event_id FROM intake_accepted WHERE event_id = ANY($1::text[])",
                                     list(event_ids))
        return {r["event_id"] for r in rows}

    async def remember(self, pairs: Sequence[tuple[str, str]]) -> None:
        await self.pool.executemany(
            "INSERT INTO intake_accepted (event_id, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", list(pairs))


async def database_reachable(pool: asyncpg.Pool) -> bool:
    try:
        await pool.fetchval("SELECT 1")
    except Exception:
        return False
    return True
