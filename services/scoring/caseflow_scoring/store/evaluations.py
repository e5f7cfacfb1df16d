"""Manual evaluations (suning-2011's `other`, 0..1): entered by operators, every change audited."""

from __future__ import annotations

from typing import Any

import asyncpg


async def put_evaluation(pool: asyncpg.Pool, period: str, unit: str, other: float, note: str,
                         who: str) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        previous = await conn.fetchval(
            "SELECT value FROM manual_evaluations WHERE period = $1 AND unit = $2 AND key = 'other' FOR UPDATE",
            period, unit)
        await conn.execute(
            "INSERT INTO manual_evaluations (period, unit, key, value, entered_by) VALUES ($1, $2, 'other', $3, $4) "
            "ON CONFLICT (period, unit, key) DO UPDATE SET value = EXCLUDED.value, entered_by = EXCLUDED.entered_by, "
            "entered_at = now()", period, unit, other, who)
        await conn.execute(
            "INSERT INTO manual_evaluations_audit (period, unit, key, value, previous, entered_by, note) "
            "VALUES ($1, $2, 'other', $3, $4, $5, $6)", period, unit, other, previous, who, note)
    return {"period": period, "unit": unit, "other": other, "previous": previous, "entered_by": who}


async def manual_inputs(db: asyncpg.Pool | asyncpg.Connection, period: str) -> dict[str, dict[str, float]]:
    rows = await db.fetch("SELECT unit, key, value FROM manual_evaluations WHERE period = $1", period)
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        out.setdefault(r["unit"], {})[r["key"]] = r["value"]
    return out


async def audit_trail(pool: asyncpg.Pool, period: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT unit, key, value, previous, entered_by, note, entered_at FROM manual_evaluations_audit "
        "WHERE period = $1 ORDER BY id", period)
    return [{**dict(r), "entered_at": r["entered_at"].isoformat()} for r in rows]
