"""Use case: a named period's document from the live case states (through the PeriodSources port): the
replay document (rules §9), with the operators' manual evaluations, the events rejected by its as-of and
each assessment template's part. Served by the period API and kept by the standing indicators: one way to the document
(evaluation.document) for both."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caseflow.config.assessments import scoring_order
from caseflow.config.units import Directory
from caseflow.domain.assessment import Template
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.document import period_document
from caseflow.evaluation.evaluate import numbers_of
from caseflow.evaluation.fed_terms import fed_templates, with_fed_terms
from caseflow.evaluation.periods import named_bounds, parse_instant
from caseflow_scoring.months import served
from caseflow_scoring.ports import PeriodSources
from caseflow_scoring.tallying import tallied


@dataclass(frozen=True)
class Scoring:
    """What the period's numbers are computed with (loaded once at start)."""

    rules: Rules
    directory: Directory
    schemes: dict[str, Scheme]
    templates: dict[str, Template] = field(default_factory=dict)  # assessment templates


def period_of(period: str, as_of: str | None) -> Period:
    """A named period (2026-10-08, 2026-10, 2026-Q4, 2026) as of an instant; PeriodError if wrong."""
    start, end = named_bounds(period)
    return Period(start, end, parse_instant(as_of, "as_of") if as_of else end)


async def period_numbers(sources: PeriodSources, name: str, as_of: str | None, scoring: Scoring,
                         fresh: bool = False, assessed: bool = True) -> dict[str, Any]:
    """`fresh` decodes every state from PostgreSQL (audits and closing check what is stored); `assessed`
    adds each assessment template's totals and records for the period (as the records stand now, whatever
    the as-of)."""
    return await live_document(sources, name, period_of(name, as_of), scoring, fresh, assessed)


async def served_document(sources: PeriodSources, name: str, as_of: str | None, scoring: Scoring,
                          recompute: bool = False, assessed: bool = True) -> dict[str, Any]:
    """The one place that decides which numbers a reader sees: a closed month, asked without an as-of and
    without `recompute`, as it was closed (its stored document, with `closed`: who, when and the content
    hash); anything else computed now from the live case states (`recompute` from PostgreSQL, no cache).
    Every endpoint and page that shows a period reads it through here."""
    if as_of is None and not recompute:
        record = await sources.closed_month(name)
        if record is not None:
            return served(record)
    return await period_numbers(sources, name, as_of, scoring, fresh=recompute, assessed=assessed)


async def live_document(sources: PeriodSources, name: str, period: Period, scoring: Scoring, fresh: bool = False,
                        assessed: bool = True) -> dict[str, Any]:
    """The document of `period` (named `name`), everything read through `sources`."""
    exemptions = await sources.approved_exemptions(period.end)
    indicators, crossing = await tallied(sources, period, scoring.rules, scoring.directory, scoring.schemes, fresh,
                                         exemptions=exemptions)
    manual = await sources.manual_inputs(name)
    numbers = numbers_of(indicators, period, scoring.directory, scoring.schemes, manual, crossing)
    feeding = fed_templates(scoring.schemes)
    wanted = scoring_order(scoring.templates, [t.id for t in scoring.templates.values()
                                               if t.applies_to(name) and (assessed or t.id in feeding)])
    read = {tid: (scoring.templates[tid], await sources.records_of(tid, name)) for tid in wanted}
    numbers = with_fed_terms(numbers, scoring.schemes, scoring.directory, manual, read)
    templates = read if assessed else None
    applied = await sources.applications_dispatched(period.start, period.end)
    return period_document(period, numbers, await sources.refused_by(period.as_of), assessed=templates,
                           applied=applied, unit_class=scoring.directory.unit_class)
