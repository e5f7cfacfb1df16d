"""`caseflow intake`: wire intake's adapters and serve."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

from caseflow.contract.province_feed import mirrored
from caseflow.infra import db, kafka, topics
from caseflow.infra.http import serve, watch_runtime
from caseflow.infra.settings import Settings, service_settings
from caseflow.infra.tracing import setup_tracing
from caseflow_intake.adapters import (
    KafkaEventBus,
    PostgresAcceptedIds,
    PostgresCityRejections,
    database_reachable,
)
from caseflow_intake.api import create_app
from caseflow_intake.feeds import CityFeedReader, ProvinceFeedCopier
from caseflow_intake.raw_topic import RawTopicForwarder

Feed = ProvinceFeedCopier | CityFeedReader

EXAMPLES = """examples:
  caseflow intake                      # serve on CASEFLOW_PORT (default 8000)
  caseflow intake --port 8001
  caseflow intake --openapi > intake-openapi.json
Environment: KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, CASEFLOW_API_KEYS="platform:KEY,...\""""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")
    p.add_argument("--openapi", action="store_true", help="print the OpenAPI schema and exit (starts nothing)")


def bootstrap(settings: Settings) -> FastAPI:
    setup_tracing("intake", settings.otlp_endpoint)
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await db.connect(settings.database_url, settings.db_pool_size, "intake")
        await topics.ensure_topics(settings)
        producer = kafka.producer(settings)
        await producer.start()
        app.state.bus = bus = KafkaEventBus(producer, settings.topic("case-events"), settings.topic("dead-letter"))
        app.state.ids = ids = PostgresAcceptedIds(pool)
        consumer = AIOKafkaConsumer(settings.topic("intake-raw"), bootstrap_servers=settings.kafka_bootstrap_servers,
                                    group_id="caseflow-intake-raw", enable_auto_commit=False,
                                    auto_offset_reset="earliest", metadata_max_age_ms=kafka.METADATA_MAX_AGE_MS)
        await consumer.start()
        forwarder = RawTopicForwarder(consumer, producer, bus, ids, settings.topic("dead-letter"))
        task = asyncio.create_task(forwarder.run())
        feeds = await start_feeds(settings, producer, bus, ids)
        stopping = asyncio.Event()
        watcher = asyncio.create_task(watch_runtime("intake", [pool], stopping, settings.database_url))

        async def ready() -> bool:
            return await database_reachable(pool) and not task.done() and not any(t.done() for _, t, _ in feeds)

        app.state.ready = ready
        try:
            yield
        finally:
            await forwarder.stop()
            for feed, _, _ in feeds:
                await feed.stop()
            stopping.set()
            await asyncio.wait([task, watcher, *(t for _, t, _ in feeds)], timeout=5)
            await kafka.stop_consumer(consumer)
            for _, _, feed_consumer in feeds:
                await kafka.stop_consumer(feed_consumer)
            await producer.stop()
            await pool.close()

    return create_app(settings, lifespan)


async def start_feeds(settings: Settings, producer: AIOKafkaProducer, bus: KafkaEventBus,
                      ids: PostgresAcceptedIds) -> list[tuple[Feed, asyncio.Task[None], AIOKafkaConsumer]]:
    """The province feed's ends this deployment runs (CASEFLOW_PROVINCE_FEED, CASEFLOW_CITY_FEEDS)."""
    started: list[tuple[Feed, asyncio.Task[None], AIOKafkaConsumer]] = []
    common = {"bootstrap_servers": settings.kafka_bootstrap_servers, "enable_auto_commit": False,
              "auto_offset_reset": "earliest", "metadata_max_age_ms": kafka.METADATA_MAX_AGE_MS}
    if settings.province_feed:
        consumer = AIOKafkaConsumer(settings.topic("case-events"), group_id="caseflow-province-feed", **common)
        await consumer.start()
        copier = ProvinceFeedCopier(consumer, producer, settings.topic("province-feed"))
        started.append((copier, asyncio.create_task(copier.run()), consumer))
    if settings.city_feeds:
        # a city that joins is found within the metadata refresh (5 s), without a restart
        consumer = AIOKafkaConsumer(group_id="caseflow-city-feeds", **common)
        consumer.subscribe(pattern=mirrored(settings.topic("province-feed")))
        await consumer.start()
        reader = CityFeedReader(consumer, producer, bus, ids, PostgresCityRejections(ids.pool),
                                settings.topic("province-feed"),
                                settings.topic("dead-letter"))
        started.append((reader, asyncio.create_task(reader.run()), consumer))
    return started


def run(args: argparse.Namespace) -> int:
    if args.openapi:
        app = create_app(Settings())
        sys.stdout.buffer.write(orjson.dumps(app.openapi(), option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    settings = service_settings(args.port)
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
