"""The province's scoring reads every city's mirrored closed months (`<city>.<prefix>.closed-months`,
found by name: a city that joins is picked up without a restart) and keeps each as the city signed it."""

from __future__ import annotations

import asyncio
import logging
import re

from aiokafka import AIOKafkaConsumer

from caseflow.contract.province_feed import mirrored
from caseflow.infra.kafka import METADATA_MAX_AGE_MS, stop_consumer
from caseflow.infra.settings import Settings
from caseflow_scoring.city_months import keep_on_city_month_closed
from caseflow_scoring.ports import CityMonths

log = logging.getLogger(__name__)


async def run_city_months(settings: Settings, months: CityMonths, stopping: asyncio.Event) -> None:
    topic = settings.topic("closed-months")
    pattern = re.compile(mirrored(topic))
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id="caseflow-city-months",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                metadata_max_age_ms=METADATA_MAX_AGE_MS)  # also finds a city that joins
    consumer.subscribe(pattern=pattern.pattern)
    await consumer.start()
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            try:
                for tp, records in batches.items():
                    match = pattern.match(tp.topic)
                    city = match.group("city") if match else tp.topic
                    for r in records:
                        outcome = await keep_on_city_month_closed(months, city, r.value or b"")
                        log.info("city %s closed month at %s/%s: %s", city, tp.topic, r.offset, outcome)
                if batches:
                    await consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})
            except Exception:  # PostgreSQL away: take the batch again, never past it
                log.exception("keeping the cities' closed months failed; again in 1 s")
                for tp, records in batches.items():
                    consumer.seek(tp, records[0].offset)
                await asyncio.sleep(1.0)
    finally:
        await stop_consumer(consumer)
