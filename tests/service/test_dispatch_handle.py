"""dispatch's use case with an in-memory CaseStore (the PostgreSQL adapter is exercised end to end):
duplicates, dead letters with reasons, one snapshot per touched case, auto-dispatch proposals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import orjson

from caseflow.contract import snapshot
from caseflow.domain.autodispatch import ResponsibilityTable
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow_dispatch.handle import Tally, Topics, apply_on_case_events
from caseflow_dispatch.ports import Outgoing
from tests.support.events import ev

TOPICS = Topics("snapshots", "dead-letter", "proposals")


class MemoryStore:
    def __init__(self) -> None:
        self.events: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        self.ids: set[str] = set()
        self.versions: dict[str, int] = defaultdict(int)
        self.rejections: dict[str, list[Rejection]] = {}
        self.outbox: list[Outgoing] = []

    async def known_ids(self, event_ids: Sequence[str]) -> set[str]:
        return self.ids & set(event_ids)

    async def events_of(self, case_ids: Sequence[str]) -> dict[str, list[tuple[int, bytes]]]:
        return {c: list(self.events[c]) for c in case_ids}

    async def append(self, rows: Sequence[tuple[str, int, str, bytes]]) -> None:
        for case_id, arrival, event_id, raw in rows:
            self.events[case_id].append((arrival, raw))
            self.ids.add(event_id)

    async def save_snapshots(self, states: Sequence[CaseState], facts: Mapping[str, dict[str, str]]) -> list[bytes]:
        out = []
        for s in states:
            self.versions[s.case_id] += 1
            out.append(snapshot.encode(s, self.versions[s.case_id], facts.get(s.case_id)))
        return out

    async def set_rejections(self, rejections: Mapping[str, Sequence[Rejection]]) -> None:
        self.rejections.update({c: list(r) for c, r in rejections.items()})

    async def emit(self, messages: Sequence[Outgoing]) -> None:
        self.outbox += messages


def batch(*events: dict, start: int = 0) -> list[tuple[bytes, int]]:  # type: ignore[type-arg]
    return [(orjson.dumps(e), start + i) for i, e in enumerate(events)]


async def test_batch_applies_dedups_and_dead_letters(rules: Rules) -> None:
    store, tally = MemoryStore(), Tally()
    first = [ev("reported", "C1", "2026-10-12 08:00", event_id="a1"),
             ev("filed", "C1", "2026-10-12 08:05", event_id="a2"),
             ev("dispatched", "C1", "2026-10-12 08:10", event_id="a3", unit="U1")]
    await apply_on_case_events(store, batch(*first, first[0]), rules, TOPICS, tally)
    assert (tally.applied, tally.duplicates) == (3, 1)
    assert [(t, k) for t, k, _, _ in store.outbox] == [("snapshots", "C1")]  # one snapshot per touched case
    store.outbox.clear()
    bad = [ev("disposed", "C1", "2026-10-12 09:00", event_id="b1", unit="U9"), b"{broken"]
    raw = [(orjson.dumps(bad[0]), 10), (bad[1], 11)]
    await apply_on_case_events(store, raw, rules, TOPICS, tally)
    reasons = [h.get("reason") for t, _, _, h in store.outbox if t == "dead-letter"]
    assert reasons == ["invalid", "wrong_unit"] and not [m for m in store.outbox if m[0] == "snapshots"]
    assert [r.reason for r in store.rejections["C1"]] == ["wrong_unit"]


async def test_late_event_refolds_and_clears_an_earlier_rejection(rules: Rules) -> None:
    store, tally = MemoryStore(), Tally()
    await apply_on_case_events(store, batch(ev("reported", "C2", "2026-10-12 08:00"),
                                            ev("disposed", "C2", "2026-10-12 08:20", unit="U1")), rules, TOPICS, tally)
    assert [r.reason for r in store.rejections["C2"]] == ["no_assignment"]
    await apply_on_case_events(store, batch(ev("dispatched", "C2", "2026-10-12 08:15", unit="U1"), start=5),
                               rules, TOPICS, tally)
    assert store.rejections["C2"] == []
    version, state = snapshot.decode(store.outbox[-1][2])
    assert state.assignments[0].is_disposed and version == 2


async def test_auto_dispatch_proposes_for_a_filed_case_without_a_unit(rules: Rules) -> None:
    store, tally = MemoryStore(), Tally()
    table = ResponsibilityTable({("01", "05", "linping"): "U-HW-LP"})
    events = batch(ev("reported", "C3", "2026-10-12 08:00"), ev("filed", "C3", "2026-10-12 08:05"),
                   ev("reported", "C4", "2026-10-12 08:00", region="donghu"), ev("filed", "C4", "2026-10-12 08:05"))
    await apply_on_case_events(store, events, rules, TOPICS, tally, table=table)
    proposals = [orjson.loads(v) for t, _, v, _ in store.outbox if t == "proposals"]
    assert proposals == [{"type": "dispatch_proposed", "case_id": "C3", "unit": "U-HW-LP", "major": "01",
                          "minor": "05", "region": "linping", "filed_at": "2026-10-12T08:05:00+08:00"}]
    assert all(not s.assignments for s in (snapshot.decode(v)[1] for t, _, v, _ in store.outbox if t == "snapshots"))
