"""A unit's open overdue cases right now (the list a unit's leader works from)."""

from __future__ import annotations

from typing import Any

from caseflow.domain import asof
from caseflow.domain.deadlines import traffic_light
from caseflow.domain.rules import Rules
from caseflow.instants import iso
from caseflow_scoring.ports import CaseReader


async def open_overdue(reader: CaseReader, unit: str, now: int, rules: Rules) -> list[dict[str, Any]]:
    out = []
    for case in await reader.assigned_to(unit):
        current = case.current
        if current is None or current.unit != unit or not current.is_open or current.is_suspended:
            continue
        if current.deadline <= now:
            out.append({"case_id": case.case_id, "region": case.region, "dispatched_at": iso(current.dispatched_at),
                        "deadline": iso(current.deadline), "overdue_minutes": (now - current.deadline) // 60000,
                        "light": traffic_light(current, now, rules.warning_fraction, rules.calendar),
                        "reworked": asof.reworked_by(current, now)})
    return sorted(out, key=lambda x: x["deadline"])
