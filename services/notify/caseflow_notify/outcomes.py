"""Recording what a receiver answered: every attempt with the vendor's code and message; delivered,
retried with backoff, held while a robot is throttled (never dropped), sent again alone when too
long, or failed for good, which the command centre is told of."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from caseflow.contract.alert import AlertMessage, AlertType, Reason
from caseflow.infra.metrics import CHANNEL_FAILURES, DELIVERIES, ROBOT_ANSWERS
from caseflow.instants import SHANGHAI
from caseflow_notify.compose import Outgoing
from caseflow_notify.inbox import store_alerts
from caseflow_notify.kinds.base import Verdict
from caseflow_notify.kinds.registry import kind_of
from caseflow_notify.ports import Attempt, Inbox, Round
from caseflow_notify.retry import RetryPolicy, next_delay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str
    latency_ms: float
    body: bytes = b""
    retry_after: float | None = None
    size: int = 0


async def send(client: httpx.AsyncClient, out: Outgoing) -> Answer:
    request = out.build(int(time.time() * 1000))
    started = time.perf_counter()
    try:
        response = await client.post(request.url, content=request.body, headers=request.headers)
    except httpx.HTTPError as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:300], (time.perf_counter() - started) * 1000,
                      size=len(request.body))
    retry_after = response.headers.get("retry-after")
    try:
        wait = float(retry_after) if retry_after is not None else None
    except ValueError:
        wait = None
    return Answer(response.status_code, "", (time.perf_counter() - started) * 1000, response.content[:2000], wait,
                  len(request.body))


async def record(tx: Round, out: Outgoing, answer: Answer, policy: RetryPolicy,
                 rnd: random.Random, routing: Any) -> Verdict:
    channel_kind = kind_of(out.channel.type)
    verdict = channel_kind.read_answer(answer.status, answer.body)
    if channel_kind.limits is not None:
        ROBOT_ANSWERS.labels(out.channel.type, verdict.outcome).inc()
    if out.slot is not None:
        await tx.robots.sent([out.slot])
    held_until: datetime | None = None
    if verdict.outcome == "throttled" and out.robot is not None:
        held_until = await tx.robots.throttled(out.robot, verdict.wait or 60.0, verdict.vendor_code,
                                                verdict.vendor_message)
    error = answer.error or (f"{verdict.vendor_code}: {verdict.vendor_message}" if verdict.vendor_code else "")
    tried = Attempt(answer.status, error, answer.latency_ms, verdict.vendor_code, verdict.vendor_message, answer.size)
    for row in out.members:
        attempt = row["attempts"] + 1
        status, delay, solo = _next(verdict, row, attempt, answer, policy, rnd)
        if status == "delivered":
            DELIVERIES.labels(row["channel_type"], "delivered").inc()
        elif status == "failed":
            DELIVERIES.labels(row["channel_type"], "failed").inc()
            kind = verdict.outcome if verdict.outcome in ("permanent", "too_long") else "gave_up"
            CHANNEL_FAILURES.labels(row["channel_type"], kind).inc()
            log.warning("delivery of %s to %s failed for good (%s): %s", row["alert_id"], row["receiver"], kind,
                        error or answer.status)
        await tx.queue.record_attempt(row, attempt, tried, status, delay, solo, held_until)
    if verdict.outcome == "delivered":
        await tx.queue.sent_to({m["receiver"] for m in out.members})
    elif verdict.outcome == "permanent" or (verdict.outcome == "too_long" and all(m["solo"] for m in out.members)):
        await tell_command_centre(tx.inbox, routing, out, verdict, answer)
    return verdict


def _next(verdict: Verdict, row: Any, attempt: int, answer: Answer, policy: RetryPolicy,
          rnd: random.Random) -> tuple[str, float | None, bool]:
    """(status, seconds until the next try, send alone next time)."""
    if verdict.outcome == "delivered":
        return "delivered", None, False
    if verdict.outcome == "throttled":
        return "pending", verdict.wait, False  # rate-limited: wait and retry, never give up
    if verdict.outcome == "too_long":
        return ("failed", None, True) if row["solo"] else ("pending", 0.0, True)
    if verdict.outcome == "permanent":
        return "failed", None, False
    first = row["first_try_at"]
    elapsed = 0.0 if first is None else max(0.0, time.time() - first.timestamp())
    status = answer.status if answer.status is not None and answer.status >= 300 else None
    delay = next_delay(policy, attempt, status, answer.retry_after, elapsed, rnd.random())
    return ("pending", delay, False) if delay is not None else ("failed", None, False)


async def tell_command_centre(inbox: Inbox, routing: Any, out: Outgoing, verdict: Verdict,
                              answer: Answer) -> None:
    """A receiver refused for good: one alert to the command centre per receiver, code and hour
    (never about the command centre's own channels, which would loop)."""
    hour = datetime.now(SHANGHAI).strftime("%Y-%m-%dT%H")
    alerts = []
    for receiver in sorted({m["receiver"] for m in out.members}):
        if receiver.startswith("command_centre"):
            continue
        unit = next(m["unit"] for m in out.members if m["receiver"] == receiver)
        code = verdict.vendor_code if verdict.vendor_code is not None else answer.status
        alert_id = hashlib.sha256(f"channel_failed|{receiver}|{code}|{hour}".encode()).hexdigest()[:24]
        alerts.append(AlertMessage(
            alert_id, AlertType.CHANNEL_FAILED, unit, 3, datetime.now(SHANGHAI).isoformat(), Reason.CHANNEL_REFUSED,
            recipients=("command_centre",), receiver=receiver,
            detail=f"{out.channel.type} {code} {verdict.vendor_message or answer.error}".strip()))
    if alerts:
        await store_alerts(inbox, [(a, "") for a in alerts], routing)
