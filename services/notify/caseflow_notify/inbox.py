"""notify's inbox: alerts consumed from the alerts topic, stored once per alert_id in the consumer's
transaction (with its offsets), each under a span that continues the case event's trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from caseflow.infra.tracing import headers_for, start_consumer_spans
from caseflow_notify.channels import Routing
from caseflow_notify.ports import Inbox

log = logging.getLogger(__name__)


async def store_on_alerts_raised(inbox: Inbox, records: Sequence[Any],
                                 routing: Routing | None = None, catch_up_after: timedelta | None = None) -> int:
    """New alerts go to the inbox and, routed to their receivers, into the delivery queue — in the
    consumer's transaction, once per alert_id: a redelivered alert adds nothing. An alert arriving
    more than `catch_up_after` after its instant is catching up (sent in a digest); `resolved` goes
    to every receiver that was sent an alert of its case."""
    spans, _ = start_consumer_spans("notify.alert", records)
    try:
        alerts = []
        for r, span in zip(records, spans, strict=True):
            try:
                alert = orjson.loads(r.value or b"")
                str(alert["alert_id"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                log.error("not an alert at offset %s: %r", r.offset, (r.value or b"")[:200])
                continue
            alerts.append((alert, headers_for(span).get("traceparent", "")))
        return await store_alerts(inbox, alerts, routing, catch_up_after)
    finally:
        for span in spans:
            span.end()


async def store_alerts(inbox: Inbox, alerts: Sequence[tuple[dict[str, Any], str]], routing: Routing | None = None,
                       catch_up_after: timedelta | None = None) -> int:
    """Alerts (each with the traceparent it continues, or "") into the inbox and the delivery queue, as
    `store_on_alerts_raised` does with the topic's records: notify's own alerts (escalations, a channel
    that refuses) come in here, in the caller's transaction."""
    rows = [(str(a["alert_id"]), str(a.get("unit", "")), str(a.get("case_id", "")), orjson.dumps(a).decode(), parent)
            for a, parent in alerts]
    if not rows:
        return 0
    fresh = await inbox.add(rows)
    if routing is not None and fresh:
        earlier = await _receivers_of_resolved_cases(inbox, rows, fresh)
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
            await inbox.queue(queued)
    return len(fresh)


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


async def _receivers_of_resolved_cases(inbox: Inbox, rows: Sequence[tuple[str, str, str, str, str]],
                                       fresh: set[str]) -> dict[str, list[str]]:
    cases = sorted({case_id for alert_id, _, case_id, body, _ in rows
                    if alert_id in fresh and case_id and '"resolved"' in body
                    and orjson.loads(body).get("type") == "resolved"})
    if not cases:
        return {}
    return await inbox.receivers_of(cases)
