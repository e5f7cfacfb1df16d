"""Overdue risk for a unit's open cases (#35): the model learnt from the city's recent assignments (each
replica keeps its own, rebuilt from PostgreSQL when older than REFRESH), and the unit's open assignments
scored by it, riskiest first, with the case's facts for the people reading them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.forecast.model import Model, fit
from caseflow.forecast.risk import Risk, risks
from caseflow.forecast.samples import samples_of
from caseflow.instants import iso
from caseflow_scoring.ports import CaseReader

REFRESH = 10 * 60_000  # a model older than this is rebuilt on the next question
HISTORY = 90 * 86_400_000  # the assignments it learns from: those with a fact in the last 90 days
FACTS = ("description", "address")


@dataclass
class RiskModels:
    rules: Rules
    unit_class: Mapping[str, int]
    refresh: int = REFRESH  # ms: a model older than this is rebuilt (the sweep: each round)
    built: tuple[int, Model] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self, reader: CaseReader, now: int) -> Model:
        if self.built is None or now - self.built[0] >= self.refresh:
            async with self.lock:  # one rebuild at a time; the others wait for it and take it
                if self.built is None or now - self.built[0] >= self.refresh:
                    span = Period(now - HISTORY, now + 1, now)
                    history = []
                    async for batch in reader.case_batches(span):  # off the event loop, batch by batch
                        history += await asyncio.to_thread(samples_of, batch, now, self.rules.calendar)
                    self.built = (now, await asyncio.to_thread(fit, history, self.unit_class))
        return self.built[1]


def risk_json(r: Risk, facts: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"case_id": r.case_id, "unit_id": r.unit, "dispatched_at": iso(r.dispatched_at),
            "deadline": iso(r.deadline), "p_late": r.p_late, "why": r.why, "share_used": r.share,
            "suspended": r.suspended, "basis": {"group": r.basis, "seen": r.seen, "late": r.late,
                                               "city_seen": r.city_seen, "city_late": r.city_late},
            **{k: v for k, v in (facts or {}).items() if k in FACTS}}


async def unit_risks(models: RiskModels, reader: CaseReader, unit: str, now: int, limit: int | None = None,
                     not_late_yet: bool = False) -> list[dict[str, Any]]:
    """The unit's open assignments at `now`, riskiest first (the first `limit`; `not_late_yet`: only those
    still before their deadline), with their cases' facts."""
    model = await models.current(reader, now)
    mine = [r for r in risks(model, await reader.assigned_to(unit), now, models.rules.calendar)
            if r.unit == unit and not (not_late_yet and r.share >= 1.0)]
    mine = mine[:limit] if limit is not None else mine
    facts = await reader.with_facts([r.case_id for r in mine])
    return [risk_json(r, facts.get(r.case_id, (None, {}))[1]) for r in mine]
