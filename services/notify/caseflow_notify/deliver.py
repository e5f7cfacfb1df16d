"""The delivery worker: sends due deliveries, records every attempt, retries or gives up by the policy.

State lives in PostgreSQL (FOR UPDATE SKIP LOCKED, so replicas share the work and a restart resumes).
A delivery is committed as `sending` before its HTTP request and as delivered/failed after it. Only a
crash during the request itself leaves doubt: such rows are sent again after a grace period, flagged
`redelivery: true` with the same alert_id, so the receiver can drop it.

Fresh alerts go first, each round; alerts that reached notify long after their instant (catch-up)
go to each receiver as one digest at most every `digest_every`, and only while their robot keeps
slots free for fresh ones: a fresh alert never waits behind a backlog."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx

from caseflow.infra.metrics import REDELIVERIES
from caseflow.instants import SHANGHAI
from caseflow_notify import content
from caseflow_notify.compose import DeliveryConfig, Outgoing, compose, defer, robot_message, webhook_messages
from caseflow_notify.formats import fits
from caseflow_notify.grouping import Pending, Silence, plan_receiver
from caseflow_notify.outcomes import record, send
from caseflow_notify.robot_rate import idle_robots, take_slots
from caseflow_notify.vendors import LIMITS, robot_key

log = logging.getLogger(__name__)

_ROWS = ("SELECT d.alert_id, d.receiver, d.unit, d.case_id, d.channel_type, d.attempts, d.first_try_at, "
         "d.redelivery, d.solo, i.body FROM notify_deliveries d JOIN notify_inbox i USING (alert_id) ")
FRESH_DUE = (_ROWS + "WHERE d.status = 'pending' AND NOT d.catch_up AND d.next_at <= now() ORDER BY d.next_at "
             "LIMIT $1 FOR UPDATE OF d SKIP LOCKED")
LATE_DUE = (_ROWS + "WHERE d.receiver = $1 AND d.catch_up AND d.status = 'pending' AND d.next_at <= now() "
            "ORDER BY d.next_at LIMIT 5000 FOR UPDATE OF d SKIP LOCKED")


async def deliver_due(pool: asyncpg.Pool, cfg: DeliveryConfig, client: httpx.AsyncClient, rnd: random.Random) -> int:
    """One round of fresh deliveries: grouped per receiver, planned (window, quiet hours, silences),
    composed into messages, sent, every attempt recorded. Returns how many deliveries it looked at."""
    now_ms = int(datetime.now(SHANGHAI).timestamp() * 1000)
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(FRESH_DUE, cfg.batch)
        if not rows:
            return 0
        groups: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            groups[r["receiver"]].append(r)
        sends = await _plan(conn, cfg, groups)
        gone = [r for receiver, members in sends.items() if cfg.routing.channel_of(receiver) is None for r in members]
        await _finish(conn, gone, "failed", "receiver no longer configured")
        outgoing = await compose(conn, cfg, sends, now_ms)
        await _mark_sending(conn, outgoing)
    await _send_all(pool, cfg, client, rnd, outgoing)
    return len(rows)


async def _plan(conn: asyncpg.Connection, cfg: DeliveryConfig, groups: dict[str, list[Any]]) -> dict[str, list[Any]]:
    last = {r["receiver"]: r["last_sent_at"] for r in await conn.fetch(
        "SELECT receiver, last_sent_at FROM notify_receivers WHERE receiver = ANY($1::text[])", list(groups))}
    silences = [Silence(r["unit"], r["case_id"], r["until"]) for r in await conn.fetch(
        "SELECT unit, case_id, until FROM notify_silences WHERE until > now() AND unit = ANY($1::text[])",
        list({m["unit"] for members in groups.values() for m in members}))]
    now = datetime.now(SHANGHAI)
    idle = await idle_robots(conn, {_robot_of(cfg, r) for r in groups} - {""})
    sends: dict[str, list[Any]] = {}
    for receiver, members in groups.items():
        by_id = {m["alert_id"]: m for m in members}
        pending = [Pending(m["alert_id"], m["unit"], m["case_id"], _level(m), m["attempts"]) for m in members]
        # A robot with most of its minute free takes a fresh alert at once; grouping only saves
        # its slots when it is busy (and webhooks keep the configured window).
        window = timedelta(0) if _robot_of(cfg, receiver) in idle else cfg.window
        plan = plan_receiver(pending, now, last.get(receiver), window,
                             cfg.routing.quiet_hours.get(members[0]["unit"]), silences)
        await _finish(conn, [by_id[p.alert_id] for p in plan.silenced], "silenced")
        if plan.waiting and plan.wait_until is not None:
            await defer(conn, [by_id[p.alert_id] for p in plan.waiting], plan.wait_until)
        if plan.send:
            sends[receiver] = [by_id[p.alert_id] for p in plan.send]
    return sends


def _level(row: Any) -> int:
    import orjson

    return int(orjson.loads(row["body"]).get("level", 1) or 0)


async def deliver_catch_up(pool: asyncpg.Pool, cfg: DeliveryConfig, client: httpx.AsyncClient,
                           rnd: random.Random) -> int:
    """One round of digests: each receiver with late alerts due gets one message for all of them."""
    now_ms = int(datetime.now(SHANGHAI).timestamp() * 1000)
    outgoing: list[Outgoing] = []
    looked = 0
    async with pool.acquire() as conn, conn.transaction():
        receivers = await conn.fetch(
            "SELECT d.receiver, r.last_digest_at FROM notify_deliveries d "
            "LEFT JOIN notify_receivers r USING (receiver) "
            "WHERE d.catch_up AND d.status = 'pending' AND d.next_at <= now() GROUP BY d.receiver, r.last_digest_at "
            "LIMIT 100")
        # One lock order (by robot) for every round, so replicas never deadlock on robot rows.
        for found in sorted(receivers, key=lambda f: _robot_of(cfg, f["receiver"])):
            receiver, last = found["receiver"], found["last_digest_at"]
            rows = await conn.fetch(LATE_DUE, receiver)
            looked += len(rows)
            if not rows:
                continue
            if last is not None and datetime.now(SHANGHAI) - last < cfg.digest_every:
                await defer(conn, rows, last + cfg.digest_every)
                continue
            made = await _digest(conn, cfg, receiver, rows, now_ms)
            if made:
                outgoing += made
                await conn.execute(
                    "INSERT INTO notify_receivers (receiver, last_sent_at, last_digest_at) VALUES ($1, now(), now()) "
                    "ON CONFLICT (receiver) DO UPDATE SET last_digest_at = now()", receiver)
        await _mark_sending(conn, outgoing)
    await _send_all(pool, cfg, client, rnd, outgoing)
    return looked


def _robot_of(cfg: DeliveryConfig, receiver: str) -> str:
    """The robot a receiver sends to; "" for a webhook or a receiver no longer configured."""
    channel = cfg.routing.channel_of(receiver)
    return robot_key(channel.type, channel.url) if channel is not None and channel.type in LIMITS else ""


async def _digest(conn: asyncpg.Connection, cfg: DeliveryConfig, receiver: str, rows: list[Any],
                  now_ms: int) -> list[Outgoing]:
    channel = cfg.routing.channel_of(receiver)
    if channel is None:
        await _finish(conn, rows, "failed", "receiver no longer configured")
        return []
    cases = sorted({r["case_id"] for r in rows if r["case_id"]})
    open_cases = {r["case_id"] for r in await conn.fetch(
        "SELECT c.case_id FROM unnest($1::text[]) c(case_id) WHERE EXISTS (SELECT 1 FROM notify_inbox i "
        "WHERE i.case_id = c.case_id AND i.body->>'type' = 'overdue') AND NOT EXISTS (SELECT 1 FROM notify_inbox i "
        "WHERE i.case_id = c.case_id AND i.body->>'type' = 'resolved')", cases)}
    still = [c for c in cases if c in open_cases]
    if channel.type not in LIMITS:
        return webhook_messages(channel, rows, {"digest": True, "count": len(rows), "still_overdue": still})
    robot = robot_key(channel.type, channel.url)
    per_minute = LIMITS[channel.type].per_minute
    slots = await take_slots(conn, robot, 1, per_minute, cfg.rate_margin, keep_free=min(5, per_minute // 4))
    if not slots.ids:
        await defer(conn, rows, slots.free_at)
        return []
    draft = content.digest([_body(r) for r in rows], still, cfg.context(now_ms), fits(channel))
    return [robot_message(channel, draft, rows, robot, slots.ids[0], digest=True)]


def _body(row: Any) -> dict[str, Any]:
    import orjson

    body: dict[str, Any] = orjson.loads(row["body"])
    return body


async def _mark_sending(conn: asyncpg.Connection, outgoing: list[Outgoing]) -> None:
    """Committed before the requests: a crash during one leaves `sending`, never a silent resend."""
    keys = [k for out in outgoing for k in out.keys]
    if keys:
        await conn.execute(
            "UPDATE notify_deliveries d SET status = 'sending', sending_since = now() "
            "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
            [a for a, _ in keys], [r for _, r in keys])


async def _send_all(pool: asyncpg.Pool, cfg: DeliveryConfig, client: httpx.AsyncClient, rnd: random.Random,
                    outgoing: list[Outgoing]) -> int:
    if not outgoing:
        return 0
    answers = await asyncio.gather(*(send(client, out) for out in outgoing))
    async with pool.acquire() as conn, conn.transaction():
        for out, answer in zip(outgoing, answers, strict=True):
            await record(conn, out, answer, cfg.policy, rnd, cfg.routing)
    return len(outgoing)


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


async def _finish(conn: asyncpg.Connection, rows: list[Any], status: str, error: str = "") -> None:
    if rows:
        await conn.execute(
            "UPDATE notify_deliveries d SET status = $3, done_at = now(), last_error = $4 "
            "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
            [r["alert_id"] for r in rows], [r["receiver"] for r in rows], status, error)


async def run_delivery(pool: asyncpg.Pool, cfg: DeliveryConfig, stopping: asyncio.Event, timeout: float = 5.0) -> None:
    rnd = random.Random()
    async with httpx.AsyncClient(timeout=timeout) as client:
        while not stopping.is_set():
            try:
                await recover_interrupted(pool, timedelta(seconds=timeout + 5))
                sent = await deliver_due(pool, cfg, client, rnd)  # fresh first, every round
                sent += await deliver_catch_up(pool, cfg, client, rnd)
            except Exception:
                log.exception("delivery round failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=0.2)
