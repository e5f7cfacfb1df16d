"""The raw intake topic: the platform may write events straight to Kafka; valid ones are forwarded,
invalid ones go to the dead-letter topic with the reason in headers. The consumer never stops on bad input."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from caseflow.infra.metrics import DEAD_LETTERS
from caseflow_intake.accept import accept_events
from caseflow_intake.ports import AcceptedIds, EventBus

log = logging.getLogger(__name__)


class RawTopicForwarder:
    def __init__(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, bus: EventBus, ids: AcceptedIds,
                 dead_letter_topic: str) -> None:
        self.consumer, self.producer, self.bus, self.ids = consumer, producer, bus, ids
        self.dead_letter_topic = dead_letter_topic
        self._stopping = asyncio.Event()
        self.forwarded = self.dead_lettered = 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            batches = await self.consumer.getmany(timeout_ms=200)
            if not batches:
                continue
            records = [r for part in batches.values() for r in part]
            verdicts = await accept_events([r.value or b"" for r in records], self.bus, self.ids)
            dead = []
            for verdict in verdicts:
                if verdict.status == "rejected":
                    DEAD_LETTERS.labels("intake", "invalid").inc()
                    r = records[verdict.index]
                    headers = [("reason", (verdict.reason or "").encode()), ("field", (verdict.field or "").encode()),
                               ("source", f"{r.topic}/{r.partition}/{r.offset}".encode())]
                    dead.append(await self.producer.send(self.dead_letter_topic, r.value or b"", key=r.key,
                                                         headers=headers))
            await asyncio.gather(*dead)
            self.forwarded += sum(v.status == "accepted" for v in verdicts)
            self.dead_lettered += len(dead)
            await self.consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})

    async def stop(self) -> None:
        self._stopping.set()
