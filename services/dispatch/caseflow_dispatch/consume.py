"""Dispatch's use case for a consumed batch of case events (the infra entrypoint decodes and traces):
every message the batch emits for a case carries the trace of that case's latest event."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import asyncpg

from caseflow.domain.autodispatch import ResponsibilityTable
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.infra.consuming import Consumed, entrypoint, raw
from caseflow.infra.kafka import BatchHandler
from caseflow_dispatch.handle import Tally, Topics, apply_on_case_events
from caseflow_dispatch.ports import CaseStore, Outgoing


class TracedStore:
    """Delegates to the real store; adds trace headers to outgoing messages by key (case id)."""

    def __init__(self, store: CaseStore, headers_by_key: Mapping[str, dict[str, str]]) -> None:
        self.store, self.headers_by_key = store, headers_by_key

    async def known_ids(self, event_ids: Sequence[str]) -> set[str]:
        return await self.store.known_ids(event_ids)

    async def events_of(self, case_ids: Sequence[str]) -> dict[str, list[tuple[int, bytes]]]:
        return await self.store.events_of(case_ids)

    async def append(self, rows: Sequence[tuple[str, int, str, bytes]]) -> None:
        await self.store.append(rows)

    async def save_snapshots(self, states: Sequence[CaseState], facts: Mapping[str, dict[str, str]]) -> list[bytes]:
        return await self.store.save_snapshots(states, facts)

    async def set_rejections(self, rejections: Mapping[str, Sequence[Rejection]]) -> None:
        await self.store.set_rejections(rejections)

    async def emit(self, messages: Sequence[Outgoing]) -> None:
        await self.store.emit([(t, k, v, {**self.headers_by_key.get(k, {}), **h}) for t, k, v, h in messages])


def case_events(store_of: Callable[[asyncpg.Connection], CaseStore], rules: Rules, topics: Topics, tally: Tally,
                now_ms: Callable[[], int], table: ResponsibilityTable | None) -> BatchHandler:
    """dispatch's topic entrypoint (infra.consuming traces and measures; the fold reads each event and
    dead-letters what it cannot)."""
    async def on_case_events(conn: asyncpg.Connection, events: list[Consumed[bytes]],
                             traces: Mapping[str, dict[str, str]]) -> None:
        await apply_on_case_events(TracedStore(store_of(conn), traces), [(e.value, e.offset) for e in events],
                                   rules, topics, tally, now_ms(), table)
    return entrypoint("dispatch.event", raw, on_case_events)
