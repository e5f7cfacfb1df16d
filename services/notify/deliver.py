"""The delivery worker: sends due deliveries, records every attempt, retries or gives up by the policy.

State lives in PostgreSQL (FOR UPDATE SKIP LOCKED, so replicas share the work and a restart resumes).
HTTP gives at-least-once: a crash after the receiver answered but before the row was updated sends
again, with the same `X-Caseflow-Alert-Id` for the receiver to drop it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

import asyncpg
import httpx
import orjson

from caseflow.notify.channels import Routing
from caseflow.notify.formats import render
from caseflow.notify.retry import RetryPolicy, next_delay

log = logging.getLogger(__name__)


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


async def _send(client: httpx.AsyncClient, routing: Routing, row: Any) -> tuple[int | None, str, float, Any]:
    channel = routing.channel_of(row["receiver"])
    if channel is None:
        return 410, "receiver no longer configured", 0.0, None
    request = render(channel, orjson.loads(row["body"]), int(time.time() * 1000))
    started = time.perf_counter()
    try:
        response = await client.post(request.url, content=request.body, headers=request.headers)
        return response.status_code, "", (time.perf_counter() - started) * 1000, response
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300], (time.perf_counter() - started) * 1000, None


async def deliver_due(pool: asyncpg.Pool, routing: Routing, client: httpx.AsyncClient, policy: RetryPolicy,
                      rnd: random.Random, batch: int = 50) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT d.alert_id, d.receiver, d.channel_type, d.attempts, d.first_try_at, i.body "
            "FROM notify_deliveries d JOIN notify_inbox i USING (alert_id) "
            "WHERE d.status = 'pending' AND d.next_at <= now() ORDER BY d.next_at LIMIT $1 "
            "FOR UPDATE OF d SKIP LOCKED", batch)
        if not rows:
            return 0
        results = await asyncio.gather(*(_send(client, routing, r) for r in rows))
        for row, (code, error, latency, response) in zip(rows, results, strict=True):
            attempt = row["attempts"] + 1
            await conn.execute(
                "INSERT INTO notify_attempts (alert_id, receiver, attempt, channel_type, status_code, error, "
                "latency_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                row["alert_id"], row["receiver"], attempt, row["channel_type"], code, error, latency)
            first = row["first_try_at"]
            elapsed = 0.0 if first is None else max(0.0, time.time() - first.timestamp())
            if code is not None and 200 <= code < 300:
                status, delay = "delivered", None
            else:
                delay = next_delay(policy, attempt, code, _retry_after(response), elapsed, rnd.random())
                status = "pending" if delay is not None else "failed"
            await conn.execute(
                "UPDATE notify_deliveries SET attempts = $3, status = $4, last_code = $5, last_error = $6, "
                "first_try_at = coalesce(first_try_at, now()), "
                "next_at = now() + make_interval(secs => $7), "
                "done_at = CASE WHEN $4 = 'pending' THEN NULL ELSE now() END "
                "WHERE alert_id = $1 AND receiver = $2",
                row["alert_id"], row["receiver"], attempt, status, code, error, delay or 0.0)
        return len(rows)


async def run_delivery(pool: asyncpg.Pool, routing: Routing, policy: RetryPolicy, stopping: asyncio.Event,
                       timeout: float = 5.0) -> None:
    rnd = random.Random()
    async with httpx.AsyncClient(timeout=timeout) as client:
        while not stopping.is_set():
            try:
                sent = await deliver_due(pool, routing, client, policy, rnd)
            except Exception:
                log.exception("delivery round failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=0.2)
