"""Exemption applications and their changes in PostgreSQL (migration 016: nothing deleted, a change
never altered), and the approved ones a period's numbers apply."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import msgspec

from caseflow.contract.alert import AlertMessage, encode
from caseflow.domain.assessment_records import Change
from caseflow.domain.exemption_requests import Application, exemptions_of
from caseflow.domain.exemptions import Exemptions
from caseflow.evaluation.document import Applied
from caseflow.infra import db, outbox
from caseflow.instants import from_ms
from caseflow_scoring.store.alerts import OUTBOX_SOURCE
from caseflow_scoring.store.assessments import PgAssessmentRecords, changes_json

_ENCODE = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder(Application)


class PgExemptionLedger:
    """The ExemptionLedger port on one connection, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection, alerts_topic: str = "caseflow.alerts") -> None:
        self.conn, self.alerts_topic = conn, alerts_topic

    async def tell(self, notices: Sequence[AlertMessage]) -> None:
        await outbox.enqueue(self.conn, OUTBOX_SOURCE, [(self.alerts_topic, n.unit, encode(n), {}) for n in notices])

    async def get_for_update(self, application_id: str) -> Application | None:
        raw = await self.conn.fetchval("SELECT application FROM exemption_applications WHERE id = $1 FOR UPDATE",
                                       application_id)
        return None if raw is None else _DECODE.decode(raw)

    async def save(self, application: Application, changes: Sequence[Change]) -> None:
        a = application
        await self.conn.execute(
            "INSERT INTO exemption_applications (id, period, case_id, unit_id, dispatched_at, kind, status, version, "
            "application) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8::jsonb) ON CONFLICT (id) DO UPDATE SET "
            "status = EXCLUDED.status, application = EXCLUDED.application, "
            "version = exemption_applications.version + 1, updated_at = clock_timestamp()",
            a.id, a.period, a.case_id, a.unit_id, from_ms(a.dispatched_at), a.kind, a.status,
            _ENCODE.encode(a).decode())
        await self.conn.executemany(
            "INSERT INTO exemption_changes (application_id, at, who, action, old, new, why) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)",
            [(a.id, from_ms(c.at), c.who, c.action, _ENCODE.encode(c.old).decode(), _ENCODE.encode(c.new).decode(),
              c.why) for c in changes])

    async def open_for(self, application: Application) -> str | None:
        a = application
        found: str | None = await self.conn.fetchval(
            "SELECT id FROM exemption_applications WHERE case_id = $1 AND unit_id = $2 AND dispatched_at = $3 "
            "AND kind = $4 AND status <> 'rejected' FOR UPDATE", a.case_id, a.unit_id, from_ms(a.dispatched_at),
            a.kind)
        return found

    async def assignments_of(self, case_id: str) -> list[tuple[str, int]]:
        rows = await self.conn.fetch(
            "SELECT a->>'unit' AS unit, (a->>'dispatched_at')::bigint AS at FROM scoring_cases, "
            "jsonb_array_elements(snapshot->'case'->'assignments') AS a WHERE case_id = $1", case_id)
        return [(r["unit"], r["at"]) for r in rows]

    async def period_closed(self, period: str) -> bool:
        return await PgAssessmentRecords(self.conn).period_closed(period)


class PgExemptionLedgers:
    def __init__(self, pool: asyncpg.Pool, alerts_topic: str = "caseflow.alerts") -> None:
        self.pool, self.alerts_topic = pool, alerts_topic

    def transaction(self) -> AbstractAsyncContextManager[PgExemptionLedger]:
        return db.transaction(self.pool, lambda conn: PgExemptionLedger(conn, self.alerts_topic))


async def applications_of(db_: asyncpg.Pool | asyncpg.Connection, period: str,
                          unit: str | None = None) -> list[Application]:
    rows = await db_.fetch("SELECT application FROM exemption_applications WHERE period = $1 "
                           "AND ($2::text IS NULL OR unit_id = $2) ORDER BY id", period, unit)
    return [_DECODE.decode(r["application"]) for r in rows]


async def applications_dispatched(db_: asyncpg.Pool | asyncpg.Connection, start: int, end: int) -> list[Applied]:
    """Every application for an assignment dispatched in [start, end), as the period document lists them."""
    rows = await db_.fetch("SELECT application FROM exemption_applications WHERE dispatched_at >= $1 "
                           "AND dispatched_at < $2 ORDER BY id", from_ms(start), from_ms(end))
    out = []
    for r in rows:
        a = _DECODE.decode(r["application"])
        out.append(Applied(a.id, a.case_id, a.unit_id, a.dispatched_at, a.kind, a.status, a.reason, a.files,
                           a.decided_by, a.decision))
    return out


async def approved_before(db_: asyncpg.Pool | asyncpg.Connection, end: int) -> Exemptions:
    """The approved exemptions of assignments dispatched before `end` (a period's counts, and its
    cross-month ones, ask about those only)."""
    rows = await db_.fetch("SELECT application FROM exemption_applications WHERE status = 'approved' "
                           "AND dispatched_at < $1", from_ms(end))
    return exemptions_of(_DECODE.decode(r["application"]) for r in rows)


async def unit_of(pool: asyncpg.Pool, application_id: str) -> str | None:
    unit: str | None = await pool.fetchval("SELECT unit_id FROM exemption_applications WHERE id = $1",
                                           application_id)
    return unit


async def changes_of(pool: asyncpg.Pool, application_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT at, who, action, old, new, why FROM exemption_changes "
                            "WHERE application_id = $1 ORDER BY id", application_id)
    return changes_json(rows)
