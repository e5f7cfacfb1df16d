"""The shape every consuming service shares: pool + topics + producer + consumer (+ outbox relay) in a lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import asyncpg
from fastapi import FastAPI

from caseflow.infra import db, kafka, topics
from caseflow.infra.http import watch_runtime
from caseflow.infra.outbox import OutboxRelay
from caseflow.infra.settings import TOPICS, Settings

log = logging.getLogger(__name__)


Background = Callable[[asyncpg.Pool, asyncio.Event, asyncio.Event | None], Coroutine[Any, Any, None]]


def consuming_lifespan(
    settings: Settings, topic: str, group: str, handler_for: Callable[[asyncpg.Pool], kafka.BatchHandler],
    with_outbox: bool, background: Background | None = None, after_commit: Callable[[], None] | None = None,
) -> Callable[[FastAPI], Any]:
    """Start the pool, topics, the Postgres-offset consumer and (optionally) the outbox relay; stop them
    cleanly on shutdown (the consumer finishes its batch and commits before the pool closes)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await db.connect(settings.database_url, settings.db_pool_size, group, "work")
        api_pool = await db.connect(settings.database_url, settings.db_api_pool_size, group, "api", migrations=False)
        await topics.ensure_topics(settings)
        producer = kafka.producer(settings) if with_outbox else None
        relay = None
        if producer is not None:
            await producer.start()
            relay = OutboxRelay(pool, producer, settings.kafka_bootstrap_servers, group,
                                [settings.topic(t) for t in TOPICS])
        hooks = [h for h in (relay.wakeup.set if relay else None, after_commit) if h is not None]

        def committed() -> None:
            for hook in hooks:
                hook()

        consumer = kafka.PostgresOffsetConsumer(settings, pool, topic, group, handler_for(pool),
                                                after_commit=committed if hooks else None)
        await consumer.start()
        tasks = [asyncio.create_task(consumer.run(), name="consumer")]
        if relay is not None:
            tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        stopping = asyncio.Event()
        tasks.append(asyncio.create_task(watch_runtime(group, [pool, api_pool], stopping, settings.database_url),
                                         name=f"{group}-runtime"))
        if background is not None:
            wake = relay.wakeup if relay else None
            tasks.append(asyncio.create_task(background(pool, stopping, wake), name=f"{group}-background"))
        # The routes read on a pool of their own: the consumer, the clocks and the relay cannot take it.
        app.state.pool, app.state.work_pool, app.state.consumer, app.state.relay = api_pool, pool, consumer, relay

        async def ready() -> bool:
            if any(t.done() for t in tasks) or not consumer.assigned.is_set():
                return False
            if relay is not None and not (relay.recovered.is_set() or relay.standby):
                return False  # a standby (another replica relays) is ready; one still recovering is not
            try:
                await api_pool.fetchval("SELECT 1")
            except Exception:
                return False
            return True

        app.state.ready = ready
        try:
            yield
        finally:
            stopping.set()
            await kafka.stop_consumer(consumer)
            if relay is not None:
                await relay.stop()
            await asyncio.wait(tasks, timeout=10)
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception():
                    log.error("%s ended with %r", task.get_name(), task.exception())
                task.cancel()
            if producer is not None:
                await producer.stop()
            await api_pool.close()
            await pool.close()

    return lifespan
