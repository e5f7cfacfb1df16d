"""The PeriodSources port on PostgreSQL: a pool, or one connection the caller holds (a refresh under its
lock reads everything on it: never a second connection while holding a first, issue #36)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from caseflow.domain.assessment_records import Record
from caseflow.domain.exemptions import Exemptions
from caseflow.domain.indicators import Period
from caseflow.domain.state import CaseState
from caseflow.evaluation.document import Applied, Refused
from caseflow_scoring.store import assessments, cases, evaluations, exemptions, months


class PgPeriodSources:
    def __init__(self, pool: asyncpg.Pool, conn: asyncpg.Connection | None = None) -> None:
        self.pool, self.conn = pool, conn
        self.db: asyncpg.Pool | asyncpg.Connection = conn if conn is not None else pool

    def case_batches(self, period: Period, fresh: bool = False) -> AsyncIterator[list[CaseState]]:
        return cases.case_batches(self.pool, period, fresh=fresh, conn=self.conn)

    async def approved_exemptions(self, before: int) -> Exemptions:
        return await exemptions.approved_before(self.db, before)

    async def manual_inputs(self, period: str) -> dict[str, dict[str, float]]:
        return await evaluations.manual_inputs(self.db, period)

    async def records_of(self, template: str, period: str) -> list[Record]:
        return await assessments.records_of(self.db, template, period)

    async def applications_dispatched(self, start: int, end: int) -> list[Applied]:
        return await exemptions.applications_dispatched(self.db, start, end)

    async def refused_by(self, as_of: int) -> list[Refused]:
        return await cases.refused_by(self.db, as_of)

    async def closed_month(self, period: str) -> dict[str, Any] | None:
        return await months.closed_month(self.db, period)
