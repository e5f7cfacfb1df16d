"""Closed months in PostgreSQL: written once, never changed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson

from caseflow.contract.alert import AlertMessage, encode
from caseflow.domain.assessment_records import Record
from caseflow.evaluation.document import Applied
from caseflow.infra import outbox
from caseflow_scoring.store.alerts import OUTBOX_SOURCE
from caseflow_scoring.store.assessments import CLOSING_LOCKS, records_in
from caseflow_scoring.store.exemptions import applications_dispatched


def _record(row: asyncpg.Record) -> dict[str, Any]:
    return {"period": row["period"], "content_hash": row["content_hash"],
            "scheme_versions": orjson.loads(row["scheme_versions"]), "code_version": row["code_version"],
            "source": row["source"], "closed_by": row["closed_by"], "closed_at": row["closed_at"].isoformat(),
            "document": orjson.loads(row["document"])}


async def closed_month(pool: asyncpg.Pool | asyncpg.Connection, period: str) -> dict[str, Any] | None:
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


class PgMonthLedger:
    """The MonthLedger port on the closing transaction's connection."""

    def __init__(self, conn: asyncpg.Connection, alerts_topic: str, months_topic: str | None = None) -> None:
        self.conn, self.alerts_topic, self.months_topic = conn, alerts_topic, months_topic

    async def records_in(self, period: str) -> list[Record]:
        return await records_in(self.conn, period)

    async def applications_dispatched(self, start: int, end: int) -> list[Applied]:
        return await applications_dispatched(self.conn, start, end)

    async def insert_closed(self, period: str, canonical: bytes, digest: str, schemes: dict[str, str],
                            versions: str, source: str, who: str) -> dict[str, Any] | None:
        return await insert_closed(self.conn, period, canonical, digest, schemes, versions, source, who)

    async def closed_month(self, period: str) -> dict[str, Any] | None:
        return await closed_month(self.conn, period)

    async def tell(self, notices: Sequence[AlertMessage]) -> None:
        await outbox.enqueue(self.conn, OUTBOX_SOURCE, [(self.alerts_topic, n.unit, encode(n), {}) for n in notices])

    async def publish(self, record: dict[str, Any]) -> None:
        if self.months_topic is not None:
            await outbox.enqueue(self.conn, OUTBOX_SOURCE, [(self.months_topic, record["period"],
                                                              orjson.dumps(record), {})])


class PgMonthBook:
    """The MonthBook port on a pool."""

    def __init__(self, pool: asyncpg.Pool, alerts_topic: str, months_topic: str | None = None) -> None:
        self.pool, self.alerts_topic, self.months_topic = pool, alerts_topic, months_topic

    @asynccontextmanager
    async def closing(self, period: str) -> AsyncIterator[PgMonthLedger]:
        async with closing(self.pool, period) as conn:
            yield PgMonthLedger(conn, self.alerts_topic, self.months_topic)

    async def closed_month(self, period: str) -> dict[str, Any] | None:
        return await closed_month(self.pool, period)
