"""notify's inbox: alerts consumed from the alerts topic, stored once per alert_id in the consumer's
transaction (with its offsets), each under a span that continues the case event's trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from caseflow.infra.tracing import headers_for, start_consumer_spans
from caseflow_notify.channels import Routing

log = logging.getLogger(__name__)


async def store_on_alerts_raised(conn: asyncpg.Connection, records: Sequence[Any],
                                 routing: Routing | None = None, catch_up_after: timedelta | None = None) -> int:
    """New alerts go to the inbox and, routed to their receivers, into the delivery queue — in the
    consumer's transaction, once per alert_id: a redelivered alert adds nothing. An alert arriving
    more than `catch_up_after` after its instant is catching up (sent in a digest); `resolved` goes
    to every receiver that was sent an alert of its case."""
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
            earlier = await _receivers_of_resolved_cases(conn, rows, fresh)
            now = datetime.now(UTC)
            queued = []
            for alert_id, unit, case_id, body, _ in rows:
                if alert_id in fresh:
                    alert = orjson.loads(body)
                    late = catch_up_after is not None and _instant(alert) < now - catch_up_after
                    recipients = alert.get("recipients") or ["unit"]
                    targets = {r.id: r.channel.type for r in routing.receivers(unit, recipients)}
                    if alert.get("type") == "resolved":
                        for receiver in earlier.get(case_id, ()):
                            channel = routing.channel_of(receiver)
                            if channel is not None:
                                targets.setdefault(receiver, channel.type)
                    queued += [(alert_id, rid, unit, case_id, kind, late) for rid, kind in sorted(targets.items())]
            if queued:
                await conn.executemany(
                    "INSERT INTO notify_deliveries (alert_id, receiver, unit, case_id, channel_type, catch_up) "
                    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", queued)
        return len(fresh)
    finally:
        for span in spans:
            span.end()


def _instant(alert: dict[str, Any]) -> datetime:
    """When the alert was raised: its escalation time, else its own instant."""
    for key in ("raised_at", "due_at"):
        value = alert.get(key)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
    return datetime.now(UTC)


async def _receivers_of_resolved_cases(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, str, str, str]],
                                       fresh: set[str]) -> dict[str, list[str]]:
    cases = sorted({case_id for alert_id, _, case_id, body, _ in rows
                    if alert_id in fresh and case_id and '"resolved"' in body
                    and orjson.loads(body).get("type") == "resolved"})
    if not cases:
        return {}
    found = await conn.fetch(
        "SELECT DISTINCT case_id, receiver FROM notify_deliveries WHERE case_id = ANY($1::text[])", cases)
    out: dict[str, list[str]] = {}
    for r in found:
        out.setdefault(r["case_id"], []).append(r["receiver"])
    return out
