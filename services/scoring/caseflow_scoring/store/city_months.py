"""The cities' closed months in the province's PostgreSQL (city_months): kept once, never changed."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson


class PgCityMonths:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def keep(self, city: str, period: str, content_hash: str, verified: bool, closed_at: str,
                   document: dict[str, Any]) -> bool:
        row = await self.pool.fetchval(
            "INSERT INTO city_months (city, period, content_hash, hash_verified, closed_at, document) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (city, period) DO NOTHING RETURNING city",
            city, period, content_hash, verified, closed_at, orjson.dumps(document).decode())
        return row is not None

    async def signed(self, period: str) -> dict[str, dict[str, Any]]:
        rows = await self.pool.fetch("SELECT * FROM city_months WHERE period = $1", period)
        return {r["city"]: {"content_hash": r["content_hash"], "hash_verified": r["hash_verified"],
                            "closed_at": r["closed_at"], "received_at": r["received_at"].isoformat(),
                            "document": orjson.loads(r["document"])} for r in rows}
