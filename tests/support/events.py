"""Builders for contract-v1 events in tests: one line per event, local times in Asia/Shanghai."""

from __future__ import annotations

import itertools
from typing import Any

import orjson

from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.events import CaseEvent

_ids = itertools.count(1)

REPORT = {"source": "collector", "category": "event", "major": "01", "minor": "05", "region": "linping",
          "grid": "G1", "road_grade": "secondary"}


def ev(kind: str, case: str, at: str, event_id: str | None = None, **data: Any) -> dict[str, Any]:
    """`at` is local time like '2026-10-09 17:30' (or with an explicit offset)."""
    occurred = at.replace(" ", "T")
    if len(occurred) == 16:
        occurred += ":00"
    occurred += "" if "+" in occurred[10:] else "+08:00"
    if kind == "reported":
        data = {**REPORT, **data}
    return {"event_id": event_id or f"t-{next(_ids)}", "case_id": case, "type": kind,
            "occurred_at": occurred, "data": data}


def domain(raw: dict[str, Any], seq: int = 0) -> CaseEvent:
    event = parse(raw, seq)
    assert not isinstance(event, Invalid), event
    return event


def lines(events: list[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


def ms(local: str) -> int:
    from caseflow.evaluation.periods import parse_instant

    return parse_instant(local.replace(" ", "T"), "test")
