"""Silences in PostgreSQL: a unit or one case muted until a time, with who and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def add(pool: asyncpg.Pool, unit: str, case_id: str | None, until: datetime, who: str, reason: str) -> int:
    silence_id: int = await pool.fetchval(
        "INSERT INTO notify_silences (unit, case_id, until, created_by, reason) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id", unit, case_id, until, who, reason)
    return silence_id


async def in_force(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT id, unit, case_id, until, created_by, reason, created_at FROM notify_silences "
                            "WHERE until > now() ORDER BY id")
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()} for r in rows]


async def end(pool: asyncpg.Pool, silence_id: int) -> bool:
    """End a silence now; False if there is none with that id."""
    done = await pool.execute("UPDATE notify_silences SET until = now() WHERE id = $1", silence_id)
    return not done.endswith(" 0")
