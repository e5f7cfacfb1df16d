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
from caseflow.domain.state import CaseState
from caseflow.forecast.model import Model, fit
from caseflow.forecast.risk import Risk, open_at, risks
from caseflow.forecast.samples import Sample, samples_of
from caseflow.instants import iso
from caseflow_scoring.ports import CaseReader

REFRESH = 10 * 60_000  # a model older than this is rebuilt on the API's next question
HISTORY = 90 * 86_400_000  # the assignments it learns from: those with a fact in the last 90 days
FACTS = ("description", "address")


@dataclass
class RiskModels:
    """The replica's model: the sweep refits it every round (`learn`); the API takes it while it is younger
    than REFRESH, and refits it itself only when the sweep has not (one fit serves both)."""

    rules: Rules
    unit_class: Mapping[str, int]
    built: tuple[int, Model] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def learn(self, reader: CaseReader, now: int) -> list[CaseState]:
        """Fit anew from the assignments of the last HISTORY; returns the cases with one open now (found in
        the same pass over them). Hold `lock`."""
        history: list[Sample] = []
        still_open: list[CaseState] = []
        async for batch in reader.case_batches(Period(now - HISTORY, now + 1, now)):
            history += await asyncio.to_thread(samples_of, batch, now, self.rules.calendar)  # off the event loop
            still_open += {case.case_id: case for case, _ in open_at(batch, now)}.values()
        self.built = (now, await asyncio.to_thread(fit, history, self.unit_class))
        return still_open

    async def current(self, reader: CaseReader, now: int) -> Model:
        if self.built is None or now - self.built[0] >= REFRESH:
            async with self.lock:  # one rebuild at a time; the others wait for it and take it
                if self.built is None or now - self.built[0] >= REFRESH:
                    await self.learn(reader, now)
        assert self.built is not None
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
