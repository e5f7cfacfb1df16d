"""notify's inbox: alerts consumed from the alerts topic, stored once per alert_id in the consumer's
transaction (with its offsets), each under a span that continues the case event's trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson

from caseflow.infra.tracing import headers_for, start_consumer_spans
from caseflow.notify.channels import Routing

log = logging.getLogger(__name__)


async def store_on_alerts_raised(conn: asyncpg.Connection, records: Sequence[Any],
                                 routing: Routing | None = None) -> int:
    """New alerts go to the inbox and, routed to their receivers, into the delivery queue — in the
    consumer's transaction, once per alert_id: a redelivered alert adds nothing."""
    spans, _ = start_consumer_spans("notify.alert", records)
    try:
        rows = []
        for r, span in zip(records, spans, strict=True):
            try:
                alert = orjson.loads(r.value or b"")
                alert_id = str(alert["alert_id"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                log.error("not an alert at offset %s: %r", r.offset, (r.value or b"")[:200])
                continue
            rows.append((alert_id, str(alert.get("unit", "")), str(alert.get("case_id", "")),
                         orjson.dumps(alert).decode(), headers_for(span).get("traceparent", "")))
        if not rows:
            return 0
        columns = [list(col) for col in zip(*rows, strict=True)]
        result = await conn.fetch(
            "INSERT INTO notify_inbox (alert_id, unit, case_id, body, traceparent) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) "
            "ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id", *columns)
        fresh = {r["alert_id"] for r in result}
        if routing is not None and fresh:
            queued = []
            for alert_id, unit, case_id, body, _ in rows:
                if alert_id in fresh:
                    recipients = orjson.loads(body).get("recipients") or ["unit"]
                    queued += [(alert_id, r.id, unit, case_id, r.channel.type)
                               for r in routing.receivers(unit, recipients)]
            if queued:
                await conn.executemany(
                    "INSERT INTO notify_deliveries (alert_id, receiver, unit, case_id, channel_type) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", queued)
        return len(fresh)
    finally:
        for span in spans:
            span.end()
