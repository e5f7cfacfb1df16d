"""Use case: recording assessments — a new record, a step of its workflow (submit, verify, approve,
withdraw, edit, appeal, uphold, reverse), and each unit's or region's template total for a period from
its indicators and the approved records. The workflow is the core's (`domain.assessment_records`);
here it is applied to the stored record inside one transaction, its changes kept with it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Actor, Command, Record, Refusal, create, decide
from caseflow_scoring.notices import on_record_changed
from caseflow_scoring.ports import AssessmentBooks

_RECORD_FOR = {"deductions": "finding", "manual": "grade", "bonus": "bonus"}  # how an item is scored -> record kind


class UnknownRecord(LookupError):
    pass


async def record_on_request(books: AssessmentBooks, draft: Record, actor: Actor,
                            templates: Mapping[str, Template]) -> Record | Refusal:
    """A new draft record, checked against its template (the item exists, a finding names one of the
    item's deductions, the item is scored the way the record's kind needs)."""
    template = templates.get(draft.template)
    if template is None:
        return Refusal(f"no assessment template {draft.template!r}; known: {', '.join(sorted(templates))}")
    if not template.applies_to(draft.period):
        return Refusal(f"template {template.id!r} assesses periods of {', '.join(template.periods)}; "
                       f"{draft.period!r} is not one")
    item = template.items().get(draft.item)
    if item is None:
        return Refusal(f"template {template.id!r} has no item {draft.item!r}")
    if item.scoring == "automatic":
        return Refusal(f"item {item.id!r} is scored from an indicator: nothing is recorded for it")
    if _RECORD_FOR[item.scoring] != draft.kind:
        return Refusal(f"item {item.id!r} is scored by {item.scoring}: record a {_RECORD_FOR[item.scoring]} for it")
    if draft.kind == "finding" and draft.deduction not in {d.id for d in item.deductions}:
        known = ", ".join(d.id for d in item.deductions)
        return Refusal(f"item {item.id!r} has no deduction {draft.deduction!r}; known: {known}")
    made = create(draft, actor)
    if isinstance(made, Refusal):
        return made
    async with books.transaction() as records:
        if await records.period_closed(made.period):
            return _closed(made.period)
        if await records.get_for_update(made.id) is not None:
            return Refusal(f"a record {made.id!r} exists already")
        await records.save(made, made.history)
    return made


async def act_on_record(books: AssessmentBooks, record_id: str, command: Command, now: int,
                        appeal_days: int = 7, templates: Mapping[str, Template] | None = None,
                        link_of: Callable[[str], str] = lambda unit: "") -> Record | Refusal:
    """One step of a record; the assessed is told, in the same transaction, of a finding approved against
    it and of its appeal decided (notices.py)."""
    async with books.transaction() as records:
        record = await records.get_for_update(record_id)
        if record is None:
            raise UnknownRecord(record_id)
        if await records.period_closed(record.period):
            return _closed(record.period)
        decided = decide(record, command, now, appeal_days)
        if isinstance(decided, Record):
            await records.save(decided, decided.history[len(record.history):])
            await records.tell(on_record_changed(record, decided, (templates or {}).get(decided.template), now,
                                                 appeal_days, link_of(decided.subject)))
        return decided


def _closed(period: str) -> Refusal:
    return Refusal(f"{period} is closed: its assessment records are frozen with the month (docs/rules.md §10)")
