"""The event archive: every record of the case-events topic in PostgreSQL, by month, append-only.

Dispatch writes it in the same transaction as its consumer offsets, so each record is archived
exactly once. Replay reads it back partition by partition, each in offset order, like Kafka.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson

from caseflow.instants import SHANGHAI

_PARTITION_LOCK = 0x0CA5EF11


def month_of(ms: int) -> date:
    local = datetime.fromtimestamp(ms / 1000, SHANGHAI)
    return date(local.year, local.month, 1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def partition_name(first: date) -> str:
    return f"event_archive_{first.year:04d}{first.month:02d}"


async def ensure_partitions(conn: asyncpg.Connection, months: set[date]) -> None:
    for first in sorted(months):
        name = partition_name(first)
        if await conn.fetchval("SELECT to_regclass($1)", name) is not None:
            continue
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _PARTITION_LOCK)
        lower = datetime(first.year, first.month, 1, tzinfo=SHANGHAI)
        upper_day = _next_month(first)
        upper = datetime(upper_day.year, upper_day.month, 1, tzinfo=SHANGHAI)
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF event_archive "
                           f"FOR VALUES FROM ('{lower.isoformat()}') TO ('{upper.isoformat()}')")


def _ids(raw: bytes) -> tuple[str | None, str | None]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(doc, dict):
        return None, None
    event_id, case_id = doc.get("event_id"), doc.get("case_id")
    return (event_id if isinstance(event_id, str) else None, case_id if isinstance(case_id, str) else None)


async def archive_records(conn: asyncpg.Connection, records: Sequence[Any]) -> None:
    """Append consumed ConsumerRecords (inside the caller's transaction)."""
    if not records:
        return
    await ensure_partitions(conn, {month_of(r.timestamp) for r in records})
    rows = []
    for r in records:
        raw = r.value or b""
        event_id, case_id = _ids(raw)
        rows.append((datetime.fromtimestamp(r.timestamp / 1000, UTC), r.topic, r.partition, r.offset,
                     event_id, case_id, raw))
    await conn.copy_records_to_table(
        "event_archive", records=rows,
        columns=["arrived_at", "topic", "partition", "offset", "event_id", "case_id", "raw"])


Page = list[tuple[int, bytes]]  # (timestamp ms, raw) of one partition, in offset order
PageFetcher = Callable[[], Awaitable[Page]]  # the partition's next page; [] once it has no more


def partition_pages(pool: asyncpg.Pool, topic: str, partition: int, since: int | None, until: int | None,
                    chunk: int = 20_000) -> PageFetcher:
    """One archived partition's pages, by offset (no long-lived cursor). The next page is asked for as
    soon as one is handed out, so PostgreSQL reads it while the caller merges (1M records, 4 partitions:
    9.5 s one page at a time)."""
    low, high = _bounds(since, until)
    after, finished = -1, False

    async def page() -> Page:
        nonlocal after, finished
        if finished:
            return []
        rows = await pool.fetch(
            'SELECT (extract(epoch FROM arrived_at) * 1000)::bigint, "offset", raw FROM event_archive '
            'WHERE topic = $1 AND partition = $2 AND "offset" > $3 AND arrived_at >= $4 AND arrived_at < $5 '
            'ORDER BY "offset" LIMIT $6', topic, partition, after, low, high, chunk)
        finished = len(rows) < chunk
        if rows:
            after = rows[-1][1]
        return [(r[0], r[2]) for r in rows]

    ahead: asyncio.Task[Page] | None = None

    async def fetch() -> Page:
        nonlocal ahead
        current = await (ahead if ahead is not None else page())
        ahead = asyncio.ensure_future(page()) if current else None
        return current
    return fetch


async def count(pool: asyncpg.Pool, topic: str, since: int | None, until: int | None) -> int:
    return int(await pool.fetchval(
        "SELECT count(*) FROM event_archive WHERE topic = $1 AND arrived_at >= $2 AND arrived_at < $3",
        topic, *_bounds(since, until)))


def _bounds(since: int | None, until: int | None) -> tuple[datetime, datetime]:
    low = datetime.fromtimestamp((since or 0) / 1000, UTC)
    high = datetime.fromtimestamp(until / 1000, UTC) if until is not None else datetime(9999, 1, 1,
                                                                                                 tzinfo=UTC)
    return low, high


async def partitions_of(pool: asyncpg.Pool, topic: str) -> list[int]:
    rows = await pool.fetch("SELECT DISTINCT partition FROM event_archive WHERE topic = $1 ORDER BY 1", topic)
    return [r["partition"] for r in rows]
