"""Escalation: an overdue alert nobody acknowledged within the delay goes to the unit's leadership and
the command centre, once (a new alert with its own stable id)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import datetime, timedelta

import msgspec

from caseflow.contract.alert import REASON_ZH, AlertMessage, Reason, decode
from caseflow.instants import SHANGHAI
from caseflow_notify.channels import Routing
from caseflow_notify.inbox import store_alerts
from caseflow_notify.ports import Rounds

log = logging.getLogger(__name__)


def escalation_of(alert: AlertMessage, delay: timedelta, late: bool = False,
                  now: datetime | None = None) -> AlertMessage:
    """The level-2 alert for an unacknowledged one. Raised now (`raised_at`), unless the alert itself
    was catching up (history): then it keeps the alert's instant and goes in the digests too."""
    escalated_id = hashlib.sha256(f"escalation|{alert.alert_id}".encode()).hexdigest()[:24]
    minutes = int(delay.total_seconds() // 60)
    return msgspec.structs.replace(
        alert, alert_id=escalated_id, level=2, recipients=("leadership", "command_centre"),
        reason=Reason.UNACKNOWLEDGED, detail=f"{minutes} 分钟无人确认；原告警：{REASON_ZH[alert.reason]}",
        escalated_from=alert.alert_id, redelivery=False,
        raised_at=None if late else (now or datetime.now(SHANGHAI)).isoformat())


async def escalate_unacknowledged(rounds: Rounds, routing: Routing, delay: timedelta,
                                  catch_up: timedelta | None = None) -> int:
    async with rounds.transaction() as tx:
        rows = await tx.inbox.unacknowledged_overdue(delay)
        escalations = [escalation_of(decode(r["body"]), delay, r["late"]) for r in rows]
        if not escalations:
            return 0
        await store_alerts(tx.inbox, [(e, "") for e in escalations], routing, catch_up)
        await tx.inbox.escalated([(r["alert_id"], e.alert_id) for r, e in zip(rows, escalations, strict=True)])
        return len(escalations)


async def run_escalation(rounds: Rounds, routing: Routing, delay: timedelta, stopping: asyncio.Event,
                         catch_up: timedelta | None = None) -> None:
    while not stopping.is_set():
        try:
            await escalate_unacknowledged(rounds, routing, delay, catch_up)
        except Exception:
            log.exception("escalation round failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=min(5.0, max(0.5, delay.total_seconds() / 4)))
