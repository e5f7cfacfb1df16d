"""The standing indicators in PostgreSQL: one row per kind (day, month, quarter, year), and the lock
that lets one replica refresh them at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson

from caseflow.instants import from_ms

_LOCK = 0x0CA5EF12


async def save(db: asyncpg.Pool | asyncpg.Connection, kind: str, period: str, as_of: int, document: dict[str, Any],
               seconds: float) -> None:
    await db.execute(
        "INSERT INTO scoring_standing (kind, period, as_of, document, seconds) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (kind) DO UPDATE SET period = EXCLUDED.period, as_of = EXCLUDED.as_of, "
        "document = EXCLUDED.document, computed_at = now(), seconds = EXCLUDED.seconds",
        kind, period, from_ms(as_of), orjson.dumps(document).decode(), seconds)


async def standing(pool: asyncpg.Pool, kind: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM scoring_standing WHERE kind = $1", kind)
    if row is None:
        return None
    return {"kind": kind, "period_name": row["period"], "computed_at": row["computed_at"].isoformat(),
            "seconds": row["seconds"], **orjson.loads(row["document"])}


@asynccontextmanager
async def refresh_lock(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection | None]:
    """The connection that holds the refresh lock, for all of the refresh's work (never a second one from
    the pool while holding it); None, and no connection kept, when another replica holds the lock."""
    async with pool.acquire() as conn:
        held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK))
        if not held:
            yield None
            return
        try:
            yield conn
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)
