"""The window reminders' storage: unappealed findings, the month's applications, and which reminders
were told (queued through the outbox in the same transaction as their mark)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

from caseflow.contract.alert import AlertMessage, encode
from caseflow.domain.assessment_records import Record
from caseflow.infra import outbox
from caseflow.instants import from_ms
from caseflow_scoring.store.alerts import OUTBOX_SOURCE
from caseflow_scoring.store.exemptions import applications_of

_RECORD = msgspec.json.Decoder(Record)


class PgReminders:
    def __init__(self, pool: asyncpg.Pool, alerts_topic: str) -> None:
        self.pool, self.alerts_topic = pool, alerts_topic

    async def unappealed_findings(self, approved_since: int) -> list[Record]:
        rows = await self.pool.fetch(
            "SELECT record FROM assessment_records WHERE kind = 'finding' AND status = 'approved' "
            "AND updated_at >= $1", from_ms(approved_since))
        return [r for r in (_RECORD.decode(row["record"]) for row in rows) if r.appeal is None]

    async def applied(self, period: str) -> set[tuple[str, str, int]]:
        return {(a.case_id, a.unit_id, a.dispatched_at) for a in await applications_of(self.pool, period)
                if a.status != "rejected"}

    async def tell_once(self, notices: Sequence[AlertMessage]) -> int:
        if not notices:
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = {r["alert_id"] for r in await conn.fetch(
                "INSERT INTO reminders_told (alert_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING "
                "RETURNING alert_id", [n.alert_id for n in notices])}
            told = [n for n in notices if n.alert_id in fresh]
            await outbox.enqueue(conn, OUTBOX_SOURCE, [(self.alerts_topic, n.unit, encode(n), {}) for n in told])
        return len(told)
