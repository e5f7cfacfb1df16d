"""Use case: exemption applications (核减, rules §4a) — a unit applies for one of its assignments, the
command centre approves or rejects. The rules are the core's (`domain.exemption_requests`); here they
are applied to the stored application inside one transaction that also holds the month open (a month
being closed waits, a closed month refuses), its changes kept with it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from caseflow.domain.assessment_records import Actor, Refusal
from caseflow.domain.calendar import WorkingCalendar
from caseflow.domain.exemption_requests import Application, apply_for, decide, window_end
from caseflow.domain.indicators import Period
from caseflow.evaluation.case_lines import CaseLine, case_lines
from caseflow.evaluation.periods import month_bounds
from caseflow.instants import iso
from caseflow_scoring.notices import on_application_decided
from caseflow_scoring.ports import CaseReader, ExemptionLedgers


class UnknownApplication(LookupError):
    pass


@dataclass(frozen=True)
class Window:
    """When a month's applications close: the end of its `working_days`-th working day after the month."""

    calendar: WorkingCalendar
    working_days: int = 5

    def closes_at(self, period: str) -> int:
        return window_end(self.calendar, month_bounds(period)[1], self.working_days)


async def apply_on_request(ledgers: ExemptionLedgers, draft: Application, actor: Actor, now: int, window: Window,
                           reasons: Mapping[str, str]) -> Application | Refusal:
    async with ledgers.transaction() as ledger:
        if await ledger.period_closed(draft.period):
            return _closed(draft.period)
        made = apply_for(draft, actor, now, window.closes_at(draft.period), reasons,
                         await ledger.assignments_of(draft.case_id))
        if isinstance(made, Refusal):
            return made
        if (open_one := await ledger.open_for(made)) is not None:
            return Refusal(f"application {open_one} for this assignment and kind is pending or approved already")
        await ledger.save(made, made.history)
    return made


async def decide_on_request(ledgers: ExemptionLedgers, application_id: str, action: str, actor: Actor, why: str,
                            now: int, link_of: Callable[[str], str] = lambda unit: "") -> Application | Refusal:
    """An approver's decision; the unit is told of it in the same transaction (notices.py)."""
    async with ledgers.transaction() as ledger:
        application = await ledger.get_for_update(application_id)
        if application is None:
            raise UnknownApplication(application_id)
        if await ledger.period_closed(application.period):
            return _closed(application.period)
        decided = decide(application, action, actor, why, now)
        if isinstance(decided, Application):
            if decided.status == "approved" and (open_one := await ledger.open_for(decided)) not in (None, decided.id):
                return Refusal(f"application {open_one} for this assignment and kind is pending or approved already")
            await ledger.save(decided, decided.history[len(application.history):])
            await ledger.tell(on_application_decided(decided, now, link_of(decided.unit_id)))
        return decided


def _closed(period: str) -> Refusal:
    return Refusal(f"{period} is closed: its exemptions are frozen with the month (docs/rules.md §10)")


async def costly_lines(reader: CaseReader, period: Period, unit: str | None = None) -> list[CaseLine]:
    """The month's assignments (of `unit`, or of every unit) that cost points: late, overdue or reworked."""
    lines: list[CaseLine] = []
    async for batch in reader.case_batches(period):
        mine = batch if unit is None else [c for c in batch if any(a.unit == unit for a in c.assignments)]
        overdue, reworked = case_lines(mine, period)
        seen = {(c.case_id, c.assignment) for c in overdue}
        lines += [c for c in overdue if unit in (None, c.unit)] + [
            c for c in reworked if unit in (None, c.unit) and (c.case_id, c.assignment) not in seen]
    return lines


async def candidates(reader: CaseReader, period: Period, unit: str) -> list[dict[str, Any]]:
    """The unit's assignments of the month that cost it points (late, overdue or reworked), each with its
    place and description: what a unit may apply to exempt."""
    lines = await costly_lines(reader, period, unit)
    facts = await reader.with_facts(sorted({c.case_id for c in lines}))
    return [{"case_id": c.case_id, "unit_id": c.unit, "dispatched_at": iso(c.dispatched_at),
             "deadline": iso(c.deadline), "disposed_at": iso(c.disposed_at) if c.disposed_at else None,
             "status": c.status, "reworks": c.reworks,
             "address": facts.get(c.case_id, (None, {}))[1].get("address", ""),
             "description": facts.get(c.case_id, (None, {}))[1].get("description", "")}
            for c in sorted(lines, key=lambda c: (c.dispatched_at, c.case_id))]
