"""notify's inbox in PostgreSQL: alerts stored once per id with the deliveries they queue, the
escalations, acknowledgements, and what the API and the live feed read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from caseflow_notify.ports import Row


class PgInbox:
    """The Inbox port on one connection, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, rows: Sequence[tuple[str, str, str, str, str]]) -> set[str]:
        columns = [list(col) for col in zip(*rows, strict=True)]
        result = await self.conn.fetch(
            "INSERT INTO notify_inbox (alert_id, unit, case_id, body, traceparent) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) "
            "ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id", *columns)
        return {r["alert_id"] for r in result}

    async def receivers_of(self, cases: list[str]) -> dict[str, list[str]]:
        found = await self.conn.fetch(
            "SELECT DISTINCT case_id, receiver FROM notify_deliveries WHERE case_id = ANY($1::text[])", cases)
        out: dict[str, list[str]] = {}
        for r in found:
            out.setdefault(r["case_id"], []).append(r["receiver"])
        return out

    async def queue(self, deliveries: Sequence[tuple[str, str, str, str, str, bool]]) -> None:
        await self.conn.executemany(
            "INSERT INTO notify_deliveries (alert_id, receiver, unit, case_id, channel_type, catch_up) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", deliveries)

    async def unacknowledged_overdue(self, delay: timedelta) -> list[Row]:
        return list(await self.conn.fetch(
            "SELECT i.alert_id, i.body, EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.alert_id = i.alert_id "
            "AND d.catch_up) AS late FROM notify_inbox i "
            "LEFT JOIN notify_acks a USING (alert_id) LEFT JOIN notify_escalations e USING (alert_id) "
            "WHERE i.body->>'type' = 'overdue' AND (i.body->>'level')::int = 1 "
            "AND i.received_at <= now() - $1::interval "
            "AND a.alert_id IS NULL AND e.alert_id IS NULL "
            "ORDER BY i.received_at LIMIT 200 FOR UPDATE OF i SKIP LOCKED", delay))

    async def escalated(self, pairs: Sequence[tuple[str, str]]) -> None:
        await self.conn.executemany("INSERT INTO notify_escalations (alert_id, escalated_id) VALUES ($1, $2)",
                                    list(pairs))


async def unit_alerts(pool: asyncpg.Pool, unit: str, limit: int) -> list[Row]:
    """The unit's alerts, newest first, with who acknowledged each."""
    return list(await pool.fetch(
        "SELECT i.body, i.received_at, a.acked_by FROM notify_inbox i LEFT JOIN notify_acks a USING (alert_id) "
        "WHERE i.unit = $1 ORDER BY i.received_at DESC LIMIT $2", unit, limit))


async def unit_of(pool: asyncpg.Pool, alert_id: str) -> str | None:
    value: str | None = await pool.fetchval("SELECT unit FROM notify_inbox WHERE alert_id = $1", alert_id)
    return value


async def acknowledge(pool: asyncpg.Pool, alert_id: str, who: str) -> None:
    await pool.execute("INSERT INTO notify_acks (alert_id, acked_by) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       alert_id, who)


async def has_case(pool: asyncpg.Pool, unit: str, case_id: str) -> bool:
    """Whether the unit was sent any alert of the case."""
    return bool(await pool.fetchval("SELECT 1 FROM notify_inbox WHERE unit = $1 AND case_id = $2 LIMIT 1",
                                    unit, case_id))


async def latest(pool: asyncpg.Pool, unit: str, backlog: int) -> list[Row]:
    return list(await pool.fetch(
        "SELECT alert_id, body, received_at FROM notify_inbox WHERE unit = $1 ORDER BY received_at DESC LIMIT $2",
        unit, backlog))


async def received_since(pool: asyncpg.Pool, unit: str, since: datetime | None) -> list[Row]:
    """The unit's alerts received after `since`, looking back 30 s: received_at is the inserting
    transaction's start, so a row can commit after a later one (the caller skips what it sent)."""
    return list(await pool.fetch(
        "SELECT alert_id, body, received_at FROM notify_inbox WHERE unit = $1 AND ($2::timestamptz IS NULL OR "
        "received_at > $2 - interval '30 seconds') ORDER BY received_at", unit, since))


async def deliveries_of(pool: asyncpg.Pool, unit: str | None, case_id: str | None) -> list[dict[str, Any]]:
    """Deliveries (by unit or case) and each one's attempts."""
    rows = await pool.fetch(
        "SELECT alert_id, receiver, unit, case_id, channel_type, status, attempts, last_code, last_error "
        "FROM notify_deliveries WHERE ($1::text IS NULL OR unit = $1) AND ($2::text IS NULL OR case_id = $2) "
        "ORDER BY alert_id, receiver LIMIT 1000", unit, case_id)
    attempts = await pool.fetch(
        "SELECT alert_id, receiver, attempt, status_code, error, latency_ms, at FROM notify_attempts "
        "WHERE alert_id = ANY($1::text[]) ORDER BY id", list({r["alert_id"] for r in rows}))
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in attempts:
        by_key.setdefault((a["alert_id"], a["receiver"]), []).append(
            {"attempt": a["attempt"], "status_code": a["status_code"], "error": a["error"],
             "latency_ms": a["latency_ms"], "at": a["at"].isoformat()})
    return [{**dict(r), "attempts_detail": by_key.get((r["alert_id"], r["receiver"]), [])} for r in rows]
