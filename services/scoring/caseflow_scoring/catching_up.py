"""Use case: live period reads while this replica catches up. Computing a city's month takes a few tenths of
a second of CPU; while the replica is far behind its partitions (a failover, a restart, a backlog), its
consumer, clock and standing refresh want the same two cores, and a read computed on demand waited
seconds (issue #36). While this replica is at least `behind_at_least` records behind, or took that many
in the last 5 s (a live city sends a few a second; a replica catching up takes hundreds), a live read is
answered from the same period's document computed at most `max_age` seconds earlier, and a newer one is
computed in the background (one at a time per period). The answer says so (`served`: when it was
computed, how old it is, how far behind the replica was). When the replica is caught up, every read is
computed on demand, as before: its numbers include every snapshot committed before it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from caseflow.instants import iso

log = logging.getLogger(__name__)

Compute = Callable[[], Awaitable[dict[str, Any]]]


@dataclass
class _Kept:
    document: dict[str, Any]
    at: float  # monotonic
    wall_ms: int


@dataclass
class RecentDocuments:
    behind_at_least: int = 1000
    max_age: float = 5.0
    refresh_after: float = 1.0
    clock: Callable[[], float] = time.monotonic
    wall_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    kept: dict[Hashable, _Kept] = field(default_factory=dict)
    running: dict[Hashable, asyncio.Task[dict[str, Any]]] = field(default_factory=dict)

    async def document(self, key: Hashable, compute: Compute, behind: int) -> dict[str, Any]:
        """The live document for `key`; `behind`: records this replica has yet to consume, plus those it
        consumed in the last few seconds."""
        hit = self.kept.get(key)
        age = self.clock() - hit.at if hit is not None else None
        if behind >= self.behind_at_least and hit is not None and age is not None and age <= self.max_age:
            if age >= self.refresh_after:
                self._start(key, compute)
            return {**hit.document, "served": {"computed_at": iso(hit.wall_ms), "age_seconds": round(age, 3),
                                               "records_behind": behind}}
        if behind >= self.behind_at_least and key in self.running:
            return await asyncio.shield(self.running[key])  # a computation begun for this period: share it
        return await self._computed(key, compute)

    async def _computed(self, key: Hashable, compute: Compute) -> dict[str, Any]:
        began, wall = self.clock(), self.wall_ms()
        document = await compute()
        latest = self.kept.get(key)
        if latest is None or latest.at < began:
            self.kept[key] = _Kept(document, began, wall)  # stamped when its reading began
        return document

    def _start(self, key: Hashable, compute: Compute) -> None:
        if key in self.running:
            return
        task = asyncio.create_task(self._computed(key, compute), name=f"period-refresh-{key}")
        self.running[key] = task

        def done(t: asyncio.Task[dict[str, Any]]) -> None:
            self.running.pop(key, None)
            if not t.cancelled() and t.exception() is not None:
                log.warning("refreshing %s while catching up failed: %r", key, t.exception())
        task.add_done_callback(done)
