"""notify's delivery queue in PostgreSQL: due deliveries (fresh and catching up), receivers' last
messages and digests, silences, the `sending` mark before a request and the recovery after a crash."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from caseflow.infra.metrics import REDELIVERIES
from caseflow_notify.grouping import Silence

log = logging.getLogger(__name__)

_ROWS = ("SELECT d.alert_id, d.receiver, d.unit, d.case_id, d.channel_type, d.attempts, d.first_try_at, "
         "d.redelivery, d.solo, i.body FROM notify_deliveries d JOIN notify_inbox i USING (alert_id) ")
FRESH_DUE = (_ROWS + "WHERE d.status = 'pending' AND NOT d.catch_up AND d.next_at <= now() ORDER BY d.next_at "
             "LIMIT $1 FOR UPDATE OF d SKIP LOCKED")
LATE_DUE = (_ROWS + "WHERE d.receiver = $1 AND d.catch_up AND d.status = 'pending' AND d.next_at <= now() "
            "ORDER BY d.next_at LIMIT 5000 FOR UPDATE OF d SKIP LOCKED")


async def fresh_due(conn: asyncpg.Connection, batch: int) -> list[Any]:
    return list(await conn.fetch(FRESH_DUE, batch))


async def late_due(conn: asyncpg.Connection, receiver: str) -> list[Any]:
    return list(await conn.fetch(LATE_DUE, receiver))


async def late_receivers(conn: asyncpg.Connection) -> list[Any]:
    """Receivers with catch-up deliveries due, with when each last got a digest."""
    return list(await conn.fetch(
        "SELECT d.receiver, r.last_digest_at FROM notify_deliveries d "
        "LEFT JOIN notify_receivers r USING (receiver) "
        "WHERE d.catch_up AND d.status = 'pending' AND d.next_at <= now() GROUP BY d.receiver, r.last_digest_at "
        "LIMIT 100"))


async def last_sent(conn: asyncpg.Connection, receivers: list[str]) -> dict[str, datetime]:
    return {r["receiver"]: r["last_sent_at"] for r in await conn.fetch(
        "SELECT receiver, last_sent_at FROM notify_receivers WHERE receiver = ANY($1::text[])", receivers)}


async def silences(conn: asyncpg.Connection, units: list[str]) -> list[Silence]:
    return [Silence(r["unit"], r["case_id"], r["until"]) for r in await conn.fetch(
        "SELECT unit, case_id, until FROM notify_silences WHERE until > now() AND unit = ANY($1::text[])", units)]


async def still_overdue(conn: asyncpg.Connection, cases: list[str]) -> set[str]:
    """Of these cases, those with an overdue alert and no `resolved` one yet."""
    return {r["case_id"] for r in await conn.fetch(
        "SELECT c.case_id FROM unnest($1::text[]) c(case_id) WHERE EXISTS (SELECT 1 FROM notify_inbox i "
        "WHERE i.case_id = c.case_id AND i.body->>'type' = 'overdue') AND NOT EXISTS (SELECT 1 FROM notify_inbox i "
        "WHERE i.case_id = c.case_id AND i.body->>'type' = 'resolved')", cases)}


async def digest_sent(conn: asyncpg.Connection, receiver: str) -> None:
    await conn.execute(
        "INSERT INTO notify_receivers (receiver, last_sent_at, last_digest_at) VALUES ($1, now(), now()) "
        "ON CONFLICT (receiver) DO UPDATE SET last_digest_at = now()", receiver)


async def mark_sending(conn: asyncpg.Connection, keys: list[tuple[str, str]]) -> None:
    """Committed before the requests: a crash during one leaves `sending`, never a silent resend."""
    if keys:
        await conn.execute(
            "UPDATE notify_deliveries d SET status = 'sending', sending_since = now() "
            "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
            [a for a, _ in keys], [r for _, r in keys])


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


async def finish(conn: asyncpg.Connection, rows: list[Any], status: str, error: str = "") -> None:
    if rows:
        await conn.execute(
            "UPDATE notify_deliveries d SET status = $3, done_at = now(), last_error = $4 "
            "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
            [r["alert_id"] for r in rows], [r["receiver"] for r in rows], status, error)
