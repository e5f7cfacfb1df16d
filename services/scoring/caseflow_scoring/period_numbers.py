"""Use case: a named period's numbers from the live case states — the replay document (rules §9),
with the operators' manual evaluations and the events rejected by its as-of."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg

from caseflow.domain.indicators import Period
from caseflow.evaluation.assessments import assessment_section
from caseflow.evaluation.evaluate import numbers_of, period_document
from caseflow.evaluation.periods import named_bounds, parse_instant
from caseflow_scoring.store.assessments import records_of
from caseflow_scoring.store.cases import rejected_by, tallied
from caseflow_scoring.store.evaluations import manual_inputs

if TYPE_CHECKING:
    from caseflow_scoring.api import Scoring


def period_of(period: str, as_of: str | None) -> Period:
    """A named period (2026-10-08, 2026-10, 2026-Q4, 2026) as of an instant; PeriodError if wrong."""
    start, end = named_bounds(period)
    return Period(start, end, parse_instant(as_of, "as_of") if as_of else end)


async def period_numbers(pool: asyncpg.Pool, name: str, as_of: str | None, scoring: Scoring,
                         fresh: bool = False, assessed: bool = True) -> dict[str, Any]:
    """`fresh` decodes every state from PostgreSQL (audits and closing check what is stored); `assessed`
    adds each assessment template's totals and records for the period (as the records stand now, whatever
    the as-of)."""
    period = period_of(name, as_of)
    indicators, crossing = await tallied(pool, period, scoring.rules, scoring.directory, scoring.schemes, fresh)
    manual = await manual_inputs(pool, name)
    numbers = numbers_of(indicators, period, scoring.directory, scoring.schemes, manual, crossing)
    document = {**period_document(period, *numbers), "rejected": await rejected_by(pool, period.as_of)}
    if assessed:
        document["assessments"] = {
            t.id: assessment_section(t, document, await records_of(pool, t.id, name),
                                     scoring.directory.unit_class)
            for t in sorted(scoring.templates.values(), key=lambda t: t.id) if t.applies_to(name)}
    return document
