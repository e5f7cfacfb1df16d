"""One consumer entrypoint per topic, the same in every service: decode each record, continue its
trace, measure, and hand the use case typed messages (never Kafka records).

A record that does not decode is counted (`caseflow_messages_unreadable_total{entrypoint}`), logged
with its offset and the decoder's reason, and left out of the batch: it never stops the topic. (Case
events are decoded by dispatch's own fold, which dead-letters with a reason, so its decoder is the
identity.)"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from caseflow.infra import metrics
from caseflow.infra.tracing import headers_for, start_consumer_spans

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Consumed(Generic[T]):
    value: T
    key: str
    offset: int
    trace: dict[str, str]  # headers that continue this message's trace


UseCase = Callable[[asyncpg.Connection, list[Consumed[T]], Mapping[str, dict[str, str]]], Awaitable[None]]
"""(connection in the batch's transaction, the decoded messages, trace headers by key: the latest
message of each key), for the messages of one batch."""


def raw(value: bytes) -> bytes:
    return value


def entrypoint(name: str, decode: Callable[[bytes], T], use_case: UseCase[T]) \
        -> Callable[[asyncpg.Connection, Sequence[Any]], Awaitable[None]]:
    """The batch handler a topic's consumer calls (kafka.BatchHandler)."""

    async def handle(conn: asyncpg.Connection, records: Sequence[Any]) -> None:
        spans, by_key = start_consumer_spans(name, records)
        try:
            messages: list[Consumed[T]] = []
            for record, span in zip(records, spans, strict=True):
                value = record.value or b""
                try:
                    decoded = decode(value)
                except Exception as exc:  # the decoder's own error names what is wrong
                    metrics.MESSAGES_UNREADABLE.labels(name).inc()
                    span.record_exception(exc)
                    log.error("%s: unreadable message at offset %s (%s): %r", name, record.offset, exc, value[:200])
                    continue
                key = (record.key or b"").decode(errors="replace")
                messages.append(Consumed(decoded, key, record.offset, headers_for(span)))
            with metrics.ENTRYPOINT_SECONDS.labels(name).time():
                await use_case(conn, messages, by_key)
        finally:
            for span in spans:
                span.end()

    return handle
