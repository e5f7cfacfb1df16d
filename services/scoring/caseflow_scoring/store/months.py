"""Closed months in PostgreSQL: written once, never changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson

from caseflow_scoring.store.assessments import CLOSING_LOCKS


def _record(row: asyncpg.Record) -> dict[str, Any]:
    return {"period": row["period"], "content_hash": row["content_hash"],
            "scheme_versions": orjson.loads(row["scheme_versions"]), "code_version": row["code_version"],
            "source": row["source"], "closed_by": row["closed_by"], "closed_at": row["closed_at"].isoformat(),
            "document": orjson.loads(row["document"])}


async def closed_month(pool: asyncpg.Pool, period: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM closed_months WHERE period = $1", period)
    return None if row is None else _record(row)


@asynccontextmanager
async def closing(pool: asyncpg.Pool, period: str) -> AsyncIterator[asyncpg.Connection]:
    """A transaction in which no assessment record of the period changes (the records' side takes the
    same lock shared, see PgAssessmentRecords.period_closed)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", CLOSING_LOCKS, period)
        yield conn


async def insert_closed(conn: asyncpg.Connection, period: str, canonical: bytes, digest: str,
                        schemes: dict[str, str], versions: str, source: str, who: str) -> dict[str, Any] | None:
    """The month as closed now; None if it was closed before (the first close stands)."""
    row = await conn.fetchrow(
        "INSERT INTO closed_months (period, document, content_hash, scheme_versions, code_version, source, "
        "closed_by) VALUES ($1, $2::jsonb, $3, $4::jsonb, $5, $6, $7) ON CONFLICT (period) DO NOTHING RETURNING *",
        period, canonical.decode(), digest, orjson.dumps(schemes).decode(), versions, source, who)
    return None if row is None else _record(row)
