"""notify's inbox: alerts consumed from the alerts topic (decoded and traced by the infra entrypoint),
stored once per alert_id in the consumer's transaction (with its offsets), each keeping the trace it
continues."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from caseflow.contract.alert import AlertMessage, AlertType, encode
from caseflow.infra.consuming import Consumed
from caseflow_notify.channels import Routing
from caseflow_notify.ports import Inbox

log = logging.getLogger(__name__)


async def store_on_alerts_raised(inbox: Inbox, alerts: Sequence[Consumed[AlertMessage]],
                                 routing: Routing | None = None, catch_up_after: timedelta | None = None) -> int:
    """New alerts go to the inbox and, routed to their receivers, into the delivery queue — in the
    consumer's transaction, once per alert_id: a redelivered alert adds nothing. An alert arriving
    more than `catch_up_after` after its instant is catching up (sent in a digest); `resolved` goes
    to every receiver that was sent an alert of its case."""
    return await store_alerts(inbox, [(a.value, a.trace.get("traceparent", "")) for a in alerts], routing,
                              catch_up_after)


async def store_alerts(inbox: Inbox, alerts: Sequence[tuple[AlertMessage, str]], routing: Routing | None = None,
                       catch_up_after: timedelta | None = None) -> int:
    """Alerts (each with the traceparent it continues, or "") into the inbox and the delivery queue, as
    `store_on_alerts_raised` does with the topic's records: notify's own alerts (escalations, a channel
    that refuses) come in here, in the caller's transaction."""
    rows = [(a.alert_id, a.unit, a.case_id, encode(a).decode(), parent) for a, parent in alerts]
    typed = {a.alert_id: a for a, _ in alerts}
    if not rows:
        return 0
    fresh = await inbox.add(rows)
    if routing is not None and fresh:
        earlier = await _receivers_of_resolved_cases(inbox, [a for a, _ in alerts], fresh)
        now = datetime.now(UTC)
        queued = []
        for alert_id, unit, case_id, _, _ in rows:
            if alert_id in fresh:
                alert = typed[alert_id]
                late = catch_up_after is not None and _instant(alert) < now - catch_up_after
                targets = {r.id: r.channel.type for r in routing.receivers(unit, alert.recipients or ("unit",))}
                if alert.type is AlertType.RESOLVED:
                    for receiver in earlier.get(case_id, ()):
                        channel = routing.channel_of(receiver)
                        if channel is not None:
                            targets.setdefault(receiver, channel.type)
                queued += [(alert_id, rid, unit, case_id, kind, late) for rid, kind in sorted(targets.items())]
        if queued:
            await inbox.queue(queued)
    return len(fresh)


def _instant(alert: AlertMessage) -> datetime:
    """When the alert was raised: its escalation time, else its own instant."""
    for value in (alert.raised_at, alert.due_at):
        if value:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
    return datetime.now(UTC)


async def _receivers_of_resolved_cases(inbox: Inbox, alerts: Sequence[AlertMessage],
                                       fresh: set[str]) -> dict[str, list[str]]:
    cases = sorted({a.case_id for a in alerts if a.alert_id in fresh and a.case_id and a.type is AlertType.RESOLVED})
    if not cases:
        return {}
    return await inbox.receivers_of(cases)
