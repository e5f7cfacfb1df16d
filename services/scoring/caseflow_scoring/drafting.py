"""Use case: what a draft scheme would do to a period's scores (#35), from the live case states, scored
both ways with the period's manual evaluations and template-fed terms as the period's document scores
them; a closed month is checked against the scores it was signed with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from caseflow.config.assessments import scoring_order
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.fed_terms import fed_inputs, fed_templates
from caseflow.evaluation.periods import months_in
from caseflow.evaluation.whatif import SchemeComparison, frozen_differences, what_if
from caseflow_scoring.period_numbers import Scoring, period_of
from caseflow_scoring.ports import PeriodSources
from caseflow_scoring.tallying import tallied


@dataclass(frozen=True)
class DraftCompared:
    schemes: list[SchemeComparison]
    sealed: str  # a closed month's content hash ("" when the period is not a closed month)
    differences: list[str]  # where the adopted scores now differ from the signed ones (a closed month)
    months_closed: list[str]  # a quarter or a year: which of its months are closed


async def compare_draft(sources: PeriodSources, name: str, scoring: Scoring, draft: Mapping[str, Scheme]
                        ) -> DraftCompared:
    """`draft`: the scheme files that replace the adopted ones of the same id, or add new ones. A quarter's
    or a year's scores are not the sum of its months': it is computed from the case states, and the page
    says which of its months are closed."""
    period = period_of(name, None)
    drafted = {**scoring.schemes, **draft}
    exemptions = await sources.approved_exemptions(period.end)
    indicators, crossing = await tallied(sources, period, scoring.rules, scoring.directory, drafted,
                                         exemptions=exemptions)
    manual = await sources.manual_inputs(name)
    feeding = [t for t in fed_templates(scoring.schemes) if t in scoring.templates
               and scoring.templates[t].applies_to(name)]
    read = {tid: (scoring.templates[tid], await sources.records_of(tid, name))
            for tid in scoring_order(scoring.templates, feeding)}
    fed = fed_inputs(indicators, scoring.schemes, manual, read)
    found = what_if(indicators, crossing, scoring.directory.unit_class, scoring.schemes, drafted, manual, fed)
    if months_in(name) != [name]:
        closed = [m for m in months_in(name) if await sources.closed_month(m) is not None]
        return DraftCompared(found, "", [], closed)
    record = await sources.closed_month(name)
    if record is None:
        return DraftCompared(found, "", [], [])
    return DraftCompared(found, str(record["content_hash"]), frozen_differences(record, found), [name])
