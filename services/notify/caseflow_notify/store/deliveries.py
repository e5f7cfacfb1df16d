"""notify's delivery queue in PostgreSQL: due deliveries (fresh and catching up), receivers' last
messages and digests, silences, the `sending` mark before a request, every attempt, and the recovery
after a crash."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from caseflow.infra.metrics import REDELIVERIES
from caseflow_notify.grouping import Silence
from caseflow_notify.ports import Attempt, Row

log = logging.getLogger(__name__)

_ROWS = ("SELECT d.alert_id, d.receiver, d.unit, d.case_id, d.channel_type, d.attempts, d.first_try_at, "
         "d.redelivery, d.solo, i.body FROM notify_deliveries d JOIN notify_inbox i USING (alert_id) ")
FRESH_DUE = (_ROWS + "WHERE d.status = 'pending' AND NOT d.catch_up AND d.next_at <= now() ORDER BY d.next_at "
             "LIMIT $1 FOR UPDATE OF d SKIP LOCKED")
LATE_DUE = (_ROWS + "WHERE d.receiver = $1 AND d.catch_up AND d.status = 'pending' AND d.next_at <= now() "
            "ORDER BY d.next_at LIMIT 5000 FOR UPDATE OF d SKIP LOCKED")


class PgDeliveryQueue:
    """The DeliveryQueue port on one connection, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def fresh_due(self, batch: int) -> list[Row]:
        return list(await self.conn.fetch(FRESH_DUE, batch))

    async def late_due(self, receiver: str) -> list[Row]:
        return list(await self.conn.fetch(LATE_DUE, receiver))

    async def late_receivers(self) -> list[Row]:
        return list(await self.conn.fetch(
            "SELECT d.receiver, r.last_digest_at FROM notify_deliveries d "
            "LEFT JOIN notify_receivers r USING (receiver) "
            "WHERE d.catch_up AND d.status = 'pending' AND d.next_at <= now() "
            "GROUP BY d.receiver, r.last_digest_at LIMIT 100"))

    async def last_sent(self, receivers: list[str]) -> dict[str, datetime]:
        return {r["receiver"]: r["last_sent_at"] for r in await self.conn.fetch(
            "SELECT receiver, last_sent_at FROM notify_receivers WHERE receiver = ANY($1::text[])", receivers)}

    async def silences(self, units: list[str]) -> list[Silence]:
        return [Silence(r["unit"], r["case_id"], r["until"]) for r in await self.conn.fetch(
            "SELECT unit, case_id, until FROM notify_silences WHERE until > now() AND unit = ANY($1::text[])",
            units)]

    async def still_overdue(self, cases: list[str]) -> set[str]:
        return {r["case_id"] for r in await self.conn.fetch(
            "SELECT c.case_id FROM unnest($1::text[]) c(case_id) WHERE EXISTS (SELECT 1 FROM notify_inbox i "
            "WHERE i.case_id = c.case_id AND i.body->>'type' = 'overdue') AND NOT EXISTS (SELECT 1 FROM "
            "notify_inbox i WHERE i.case_id = c.case_id AND i.body->>'type' = 'resolved')", cases)}

    async def digest_sent(self, receiver: str) -> None:
        await self.conn.execute(
            "INSERT INTO notify_receivers (receiver, last_sent_at, last_digest_at) VALUES ($1, now(), now()) "
            "ON CONFLICT (receiver) DO UPDATE SET last_digest_at = now()", receiver)

    async def mark_sending(self, keys: list[tuple[str, str]]) -> None:
        if keys:
            await self.conn.execute(
                "UPDATE notify_deliveries d SET status = 'sending', sending_since = now() "
                "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
                [a for a, _ in keys], [r for _, r in keys])

    async def finish(self, rows: Sequence[Row], status: str, error: str = "") -> None:
        if rows:
            await self.conn.execute(
                "UPDATE notify_deliveries d SET status = $3, done_at = now(), last_error = $4 "
                "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
                [r["alert_id"] for r in rows], [r["receiver"] for r in rows], status, error)

    async def defer(self, rows: Sequence[Row], until: datetime | None) -> None:
        await self.conn.execute(
            "UPDATE notify_deliveries d SET next_at = coalesce($3, now() + interval '1 second') "
            "FROM unnest($1::text[], $2::text[]) u(a, r) WHERE d.alert_id = u.a AND d.receiver = u.r",
            [r["alert_id"] for r in rows], [r["receiver"] for r in rows], until)

    async def record_attempt(self, row: Row, attempt: int, answer: Attempt, status: str, delay: float | None,
                             solo: bool, held_until: datetime | None) -> None:
        await self.conn.execute(
            "INSERT INTO notify_attempts (alert_id, receiver, attempt, channel_type, status_code, error, latency_ms, "
            "vendor_code, vendor_message, message_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            row["alert_id"], row["receiver"], attempt, row["channel_type"], answer.status_code, answer.error,
            answer.latency_ms, answer.vendor_code, answer.vendor_message, answer.message_bytes)
        await self.conn.execute(
            "UPDATE notify_deliveries SET attempts = $3, status = $4, last_code = $5, last_error = $6, "
            "vendor_code = $8, solo = solo OR $9, first_try_at = coalesce(first_try_at, now()), "
            "next_at = coalesce($10, now() + make_interval(secs => $7)), "
            "done_at = CASE WHEN $4 = 'pending' THEN NULL ELSE now() END WHERE alert_id = $1 AND receiver = $2",
            row["alert_id"], row["receiver"], attempt, status, answer.status_code, answer.error, delay or 0.0,
            answer.vendor_code, solo, held_until)

    async def sent_to(self, receivers: set[str]) -> None:
        await self.conn.executemany(
            "INSERT INTO notify_receivers (receiver, last_sent_at) VALUES ($1, now()) "
            "ON CONFLICT (receiver) DO UPDATE SET last_sent_at = now()", [(r,) for r in sorted(receivers)])


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
