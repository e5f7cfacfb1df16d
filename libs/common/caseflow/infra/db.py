"""PostgreSQL: the pool, versioned migrations applied at start, and consumer offsets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import TypeVar

import asyncpg

from caseflow.infra.pool_watch import WatchedPool, watched_pool

log = logging.getLogger(__name__)
_MIGRATION_LOCK = 0x0CA5EF10


async def connect(url: str, size: int = 10, service: str = "caseflow", name: str = "work",
                  migrations: bool = True) -> WatchedPool:
    """A pool (`name`: what it serves, in metrics and logs) whose waits are timed and named
    (infra.pool_watch); the migrations applied first unless `migrations` is False."""
    # Custom plans: asyncpg prepares statements, and a generic plan made while a table was still empty
    # (a fresh deployment) keeps sequential scans long after the table has grown.
    pool = await watched_pool(url, size, service, name, command_timeout=60,
                              server_settings={"plan_cache_mode": "force_custom_plan", "jit": "off"})
    if migrations:
        await migrate(pool)
    return pool


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply the numbered SQL files not yet applied, in order, under an advisory lock."""
    files = sorted(
        (f for f in resources.files("caseflow.infra").joinpath("migrations").iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    applied: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
                           "applied_at timestamptz NOT NULL DEFAULT now())")
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for f in files:
            if f.name not in done:
                await conn.execute(f.read_text("utf-8"))
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", f.name)
                applied.append(f.name)
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    return applied


async def load_offsets(conn: asyncpg.Connection, consumer: str, topic: str) -> dict[int, int]:
    rows = await conn.fetch(
        "SELECT partition, next_offset FROM consumer_offsets WHERE consumer = $1 AND topic = $2", consumer, topic)
    return {r["partition"]: r["next_offset"] for r in rows}


async def save_offsets(conn: asyncpg.Connection, consumer: str, topic: str, offsets: dict[int, int]) -> None:
    await conn.executemany(
        "INSERT INTO consumer_offsets (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
        [(consumer, topic, p, o) for p, o in offsets.items()],
    )


T = TypeVar("T")


@asynccontextmanager
async def transaction(pool: asyncpg.Pool, adapter: Callable[[asyncpg.Connection], T]) -> AsyncIterator[T]:
    """One connection and transaction from the pool, handed out wrapped in a port's adapter: what the
    adapter does commits together, or not at all."""
    async with pool.acquire() as conn, conn.transaction():
        yield adapter(conn)
