"""Use case: accept a batch of raw events — validate each, answer duplicates, publish the valid ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from caseflow.contract.mapping import Invalid, validate
from caseflow.contract.province_feed import ForeignEvent, namespaced
from caseflow_intake.ports import AcceptedIds, EventBus

Status = Literal["accepted", "duplicate", "rejected"]


@dataclass(frozen=True)
class Verdict:
    index: int
    status: Status
    event_id: str | None = None
    field: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


async def accept_events(items: Sequence[Any], bus: EventBus, ids: AcceptedIds) -> list[Verdict]:
    """Validate every item; publish each valid, new event once (in the given order); say what became of each."""
    verdicts: list[Verdict | None] = [None] * len(items)
    valid: list[tuple[int, str, str, bytes]] = []
    for i, item in enumerate(items):
        raw = item if isinstance(item, bytes | str) else orjson.dumps(item)
        wire = validate(raw)
        if isinstance(wire, Invalid):
            verdicts[i] = Verdict(i, "rejected", wire.event_id, wire.field or "(body)", wire.reason)
            continue
        body = raw.encode() if isinstance(raw, str) else raw
        valid.append((i, wire.event_id, wire.case_id, body))
    first: dict[str, tuple[int, str, str, bytes]] = {}
    for entry in valid:
        first.setdefault(entry[1], entry)
    fresh: list[tuple[int, str, str, bytes]] = []
    if first:
        async with ids.claim([(event_id, case_id) for _, event_id, case_id, _ in first.values()]) as claimed:
            fresh = [entry for entry in first.values() if entry[1] in claimed]
            if fresh:
                await bus.publish([(case_id, body) for _, _, case_id, body in fresh])
    for i, event_id, _, _ in fresh:
        verdicts[i] = Verdict(i, "accepted", event_id)
    for i, event_id, _, _ in valid:
        verdicts[i] = verdicts[i] or Verdict(i, "duplicate", event_id)
    return [v for v in verdicts if v is not None]


async def accept_city_events(city: str, items: Sequence[bytes], bus: EventBus, ids: AcceptedIds) -> list[Verdict]:
    """The province's intake of one city's mirrored feed: each event checked against the contract as the
    city sent it, then named by its city (ids, units, region) and accepted like any other; a malformed or
    foreign event is rejected with the city in its reason and stops nothing."""
    verdicts: list[Verdict | None] = [None] * len(items)
    scoped: list[tuple[int, bytes]] = []
    for i, raw in enumerate(items):
        wire = validate(raw)
        if isinstance(wire, Invalid):
            verdicts[i] = Verdict(i, "rejected", wire.event_id, wire.field or "(body)", f"city {city}: {wire.reason}")
            continue
        try:
            scoped.append((i, orjson.dumps(namespaced(orjson.loads(raw), city))))
        except ForeignEvent as exc:
            verdicts[i] = Verdict(i, "rejected", wire.event_id, exc.field, f"city {city}: {exc.reason}")
    for verdict in await accept_events([body for _, body in scoped], bus, ids):
        i = scoped[verdict.index][0]
        reason = f"city {city}: {verdict.reason}" if verdict.reason else None
        verdicts[i] = Verdict(i, verdict.status, verdict.event_id, verdict.field, reason)
    return [v for v in verdicts if v is not None]
