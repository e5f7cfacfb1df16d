"""The province feed's two ends (docs/runbook.md "A province"), each a consumer that never stops on
bad input and commits its offsets only after what it produced was acknowledged (a restart repeats a
batch at most, and the province takes each event_id once).

- In a city (CASEFLOW_PROVINCE_FEED): every accepted case event, without personal data, onto the
  province-feed topic, which MirrorMaker 2 replicates to the province's cluster as
  `<city>.<prefix>.province-feed`. From the start of the topic: a city that joins sends its history.
- In the province (CASEFLOW_CITY_FEEDS): every city's mirrored feed, found by name (a city that joins
  is picked up without a restart), named by its city and accepted; a refused record is kept once per
  city and content (city_feed_rejections; MirrorMaker may send it again) and put on the dead-letter
  topic with the city in a header.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from caseflow.contract.province_feed import for_province, mirrored
from caseflow.infra.metrics import DEAD_LETTERS
from caseflow_intake.accept import accept_city_events
from caseflow_intake.ports import AcceptedIds, CityRejections, EventBus

log = logging.getLogger(__name__)


Batches = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


async def again_after_failure(consumer: AIOKafkaConsumer, batches: Batches,
                              handle: Callable[[Batches], Awaitable[None]]) -> None:
    """Handle a batch; if Kafka or PostgreSQL fails meanwhile (a broker away for minutes), rewind to the
    batch's first records and try again a second later, never skipping past it."""
    try:
        await handle(batches)
    except Exception:
        log.exception("feed batch failed; taking it again in 1 s")
        for tp, records in batches.items():
            consumer.seek(tp, records[0].offset)
        await asyncio.sleep(1.0)


class ProvinceFeedCopier:
    """A city's case events, stripped for the province, onto its province-feed topic (keyed by case)."""

    def __init__(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, feed_topic: str) -> None:
        self.consumer, self.producer, self.feed_topic = consumer, producer, feed_topic
        self._stopping = asyncio.Event()
        self.copied = 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            batches = await self.consumer.getmany(timeout_ms=200, max_records=1000)
            if batches:
                await again_after_failure(self.consumer, batches, self._copy)

    async def _copy(self, batches: Batches) -> None:
        sent = []
        for records in batches.values():
            for r in records:
                try:
                    body = for_province(r.value or b"")
                except ValueError:  # not JSON: intake never wrote it; nothing of it goes out
                    log.warning("province feed: skipped unreadable record %s/%s/%s", r.topic, r.partition,
                                r.offset)
                    continue
                sent.append(await self.producer.send(self.feed_topic, body, key=r.key))
        await asyncio.gather(*sent)
        self.copied += len(sent)
        await self.consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})

    async def stop(self) -> None:
        self._stopping.set()


class CityFeedReader:
    """The province's intake of its cities' mirrored feeds."""

    def __init__(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, bus: EventBus, ids: AcceptedIds,
                 rejections: CityRejections, feed_topic: str, dead_letter_topic: str) -> None:
        self.consumer, self.producer, self.bus, self.ids = consumer, producer, bus, ids
        self.rejections = rejections
        self.pattern = re.compile(mirrored(feed_topic))
        self.dead_letter_topic = dead_letter_topic
        self._stopping = asyncio.Event()
        self.accepted = self.rejected = 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            batches = await self.consumer.getmany(timeout_ms=200, max_records=1000)
            if batches:
                await again_after_failure(self.consumer, batches, self._take)

    async def _take(self, batches: Batches) -> None:
        for tp, records in batches.items():
            match = self.pattern.match(tp.topic)
            city = match.group("city") if match else tp.topic
            verdicts = await accept_city_events(city, [r.value or b"" for r in records], self.bus, self.ids)
            refused = {hashlib.sha256(records[v.index].value or b"").hexdigest(): (records[v.index], v)
                       for v in verdicts if v.status == "rejected"}
            if refused:
                rows = [(d, r.value or b"", v.field or "", v.reason or "") for d, (r, v) in refused.items()]
                async with self.rejections.keep(city, rows) as new:
                    dead = []
                    for digest in sorted(new):
                        r, verdict = refused[digest]
                        DEAD_LETTERS.labels("intake", "city-feed").inc()
                        headers = [("reason", (verdict.reason or "").encode()),
                                   ("field", (verdict.field or "").encode()), ("city", city.encode()),
                                   ("source", f"{r.topic}/{r.partition}/{r.offset}".encode())]
                        dead.append(await self.producer.send(self.dead_letter_topic, r.value or b"", key=r.key,
                                                             headers=headers))
                    await asyncio.gather(*dead)
                self.rejected += len(new)
            self.accepted += sum(v.status == "accepted" for v in verdicts)
        await self.consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})

    async def stop(self) -> None:
        self._stopping.set()
