"""The delivery worker: sends due deliveries, records every attempt, retries or gives up by the policy.

State lives in PostgreSQL (FOR UPDATE SKIP LOCKED, so replicas share the work and a restart resumes).
A delivery is committed as `sending` before its HTTP request and as delivered/failed after it. Only a
crash during the request itself leaves doubt: such rows are sent again after a grace period, flagged
`redelivery: true` with the same alert_id (and `X-Caseflow-Alert-Id`), so the receiver can drop it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson

from caseflow.infra.metrics import DELIVERIES, REDELIVERIES
from caseflow.notify.channels import Routing
from caseflow.notify.formats import render_group
from caseflow.notify.grouping import Pending, Silence, plan_receiver
from caseflow.notify.retry import RetryPolicy, next_delay
from caseflow.replay.output import SHANGHAI

log = logging.getLogger(__name__)


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


async def _send(client: httpx.AsyncClient, routing: Routing, receiver: str,
                bodies: list[dict[str, Any]]) -> tuple[int | None, str, float, Any]:
    channel = routing.channel_of(receiver)
    if channel is None:
        return 410, "receiver no longer configured", 0.0, None
    request = render_group(channel, bodies, int(time.time() * 1000))
    started = time.perf_counter()
    try:
        response = await client.post(request.url, content=request.body, headers=request.headers)
        return response.status_code, "", (time.perf_counter() - started) * 1000, response
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], (time.perf_counter() - started) * 1000, None


async def deliver_due(pool: asyncpg.Pool, routing: Routing, client: httpx.AsyncClient, policy: RetryPolicy,
                      rnd: random.Random, window: timedelta = timedelta(seconds=5), batch: int = 500) -> int:
    """One round: due deliveries grouped per receiver, planned (window, quiet hours, silences), sent as
    one message per receiver, every attempt recorded. Returns how many deliveries it looked at."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT d.alert_id, d.receiver, d.unit, d.case_id, d.channel_type, d.attempts, d.first_try_at, "
            "d.redelivery, i.body "
            "FROM notify_deliveries d JOIN notify_inbox i USING (alert_id) "
            "WHERE d.status = 'pending' AND d.next_at <= now() ORDER BY d.next_at LIMIT $1 "
            "FOR UPDATE OF d SKIP LOCKED", batch)
        if not rows:
            return 0
        groups: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            groups[r["receiver"]].append(r)
        last = {r["receiver"]: r["last_sent_at"] for r in await conn.fetch(
            "SELECT receiver, last_sent_at FROM notify_receivers WHERE receiver = ANY($1::text[])", list(groups))}
        silences = [Silence(r["unit"], r["case_id"], r["until"]) for r in await conn.fetch(
            "SELECT unit, case_id, until FROM notify_silences WHERE until > now() AND unit = ANY($1::text[])",
            list({r["unit"] for r in rows}))]
        now = datetime.now(SHANGHAI)
        sends = []
        for receiver, members in groups.items():
            by_id = {m["alert_id"]: m for m in members}
            pending = [Pending(m["alert_id"], m["unit"], m["case_id"], int(orjson.loads(m["body"]).get("level", 1)),
                               m["attempts"]) for m in members]
            plan = plan_receiver(pending, now, last.get(receiver), window,
                                 routing.quiet_hours.get(members[0]["unit"]), silences)
            await _finish(conn, receiver, [p.alert_id for p in plan.silenced], "silenced")
            if plan.waiting and plan.wait_until is not None:
                await conn.execute(
                    "UPDATE notify_deliveries SET next_at = $3 WHERE receiver = $1 AND alert_id = ANY($2::text[])",
                    receiver, [p.alert_id for p in plan.waiting], plan.wait_until)
            if plan.send:
                sends.append((receiver, [by_id[p.alert_id] for p in plan.send]))
                # Committed before the request: a crash during it leaves `sending`, never a silent resend.
                await conn.execute(
                    "UPDATE notify_deliveries SET status = 'sending', sending_since = now() "
                    "WHERE receiver = $1 AND alert_id = ANY($2::text[])", receiver, [p.alert_id for p in plan.send])
    results = await asyncio.gather(*(_send(client, routing, receiver, [_body(m) for m in members])
                                     for receiver, members in sends))
    async with pool.acquire() as conn, conn.transaction():
        for (receiver, members), (code, error, latency, response) in zip(sends, results, strict=True):
            await _record(conn, receiver, members, code, error, latency, response, policy, rnd)
            if code is not None and 200 <= code < 300:
                await conn.execute(
                    "INSERT INTO notify_receivers (receiver, last_sent_at) VALUES ($1, now()) "
                    "ON CONFLICT (receiver) DO UPDATE SET last_sent_at = now()", receiver)
    return len(rows)


def _body(row: Any) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(row["body"])
    if row["redelivery"]:
        body["redelivery"] = True  # sent before a crash, maybe received: drop it if you have its alert_id
    return body


async def recover_interrupted(pool: asyncpg.Pool, grace: timedelta) -> int:
    """Deliveries left `sending` by a process that died mid-request go out again, flagged, after `grace`
    (longer than any request can take, so a live sender is never doubled)."""
    status = await pool.execute(
        "UPDATE notify_deliveries SET status = 'pending', redelivery = true, next_at = now() "
        "WHERE status = 'sending' AND sending_since < now() - $1::interval", grace)
    recovered = int(status.split()[-1])
    if recovered:
        log.warning("%d deliveries were interrupted by a crash; sending them again, flagged as redelivery",
                    recovered)
        REDELIVERIES.inc(recovered)
    return recovered


async def _finish(conn: asyncpg.Connection, receiver: str, alert_ids: list[str], status: str) -> None:
    if alert_ids:
        await conn.execute(
            "UPDATE notify_deliveries SET status = $3, done_at = now() "
            "WHERE receiver = $1 AND alert_id = ANY($2::text[])",
            receiver, alert_ids, status)


async def _record(conn: asyncpg.Connection, receiver: str, members: list[Any], code: int | None, error: str,
                  latency: float, response: Any, policy: RetryPolicy, rnd: random.Random) -> None:
    for row in members:
        attempt = row["attempts"] + 1
        await conn.execute(
            "INSERT INTO notify_attempts (alert_id, receiver, attempt, channel_type, status_code, error, latency_ms) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            row["alert_id"], receiver, attempt, row["channel_type"], code, error, latency)
        first = row["first_try_at"]
        elapsed = 0.0 if first is None else max(0.0, time.time() - first.timestamp())
        if code is not None and 200 <= code < 300:
            status, delay = "delivered", None
        else:
            delay = next_delay(policy, attempt, code, _retry_after(response), elapsed, rnd.random())
            status = "pending" if delay is not None else "failed"
        if status == "delivered":
            DELIVERIES.labels(row["channel_type"], "delivered").inc()
        elif status == "failed":
            DELIVERIES.labels(row["channel_type"], "failed").inc()
        await conn.execute(
            "UPDATE notify_deliveries SET attempts = $3, status = $4, last_code = $5, last_error = $6, "
            "first_try_at = coalesce(first_try_at, now()), next_at = now() + make_interval(secs => $7), "
            "done_at = CASE WHEN $4 = 'pending' THEN NULL ELSE now() END WHERE alert_id = $1 AND receiver = $2",
            row["alert_id"], receiver, attempt, status, code, error, delay or 0.0)


async def run_delivery(pool: asyncpg.Pool, routing: Routing, policy: RetryPolicy, stopping: asyncio.Event,
                       timeout: float = 5.0, window: timedelta = timedelta(seconds=5)) -> None:
    rnd = random.Random()
    async with httpx.AsyncClient(timeout=timeout) as client:
        while not stopping.is_set():
            try:
                await recover_interrupted(pool, timedelta(seconds=timeout + 5))
                sent = await deliver_due(pool, routing, client, policy, rnd, window)
            except Exception:
                log.exception("delivery round failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=0.2)
