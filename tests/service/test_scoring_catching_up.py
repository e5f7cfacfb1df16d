"""While a replica catches up, a live period read is answered from the document of a few seconds ago and a
newer one is computed in the background, one at a time; caught up, every read is computed on demand."""

from __future__ import annotations

import asyncio
from typing import Any

from caseflow_scoring.catching_up import RecentDocuments


class Numbers:
    def __init__(self) -> None:
        self.computed = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def compute(self) -> dict[str, Any]:
        self.computed += 1
        await self.gate.wait()
        return {"n": self.computed}


def documents(now: list[float]) -> RecentDocuments:
    return RecentDocuments(behind_at_least=100, max_age=5.0, refresh_after=1.0, clock=lambda: now[0],
                           wall_ms=lambda: int(now[0] * 1000))


async def test_caught_up_every_read_is_computed() -> None:
    now, numbers = [0.0], Numbers()
    recent = documents(now)
    assert [await recent.document("2026-10", numbers.compute, behind=99) for _ in range(3)] == [
        {"n": 1}, {"n": 2}, {"n": 3}]


async def test_behind_a_recent_document_is_served_and_refreshed_once_in_the_background() -> None:
    now, numbers = [0.0], Numbers()
    recent = documents(now)
    assert await recent.document("2026-10", numbers.compute, behind=5000) == {"n": 1}  # nothing kept yet
    now[0] = 0.5
    young = await recent.document("2026-10", numbers.compute, behind=5000)
    assert young["n"] == 1 and young["served"] == {"computed_at": young["served"]["computed_at"],
                                                   "age_seconds": 0.5, "records_behind": 5000}
    assert numbers.computed == 1
    now[0], numbers.gate = 2.0, asyncio.Event()  # older than refresh_after: served, and one refresh begins
    served = [await recent.document("2026-10", numbers.compute, behind=5000) for _ in range(3)]
    assert [s["n"] for s in served] == [1, 1, 1]
    await asyncio.sleep(0)
    assert numbers.computed == 2 and len(recent.running) == 1
    numbers.gate.set()
    await asyncio.sleep(0.01)
    assert not recent.running and (await recent.document("2026-10", numbers.compute, behind=5000))["n"] == 2


async def test_a_document_older_than_max_age_is_not_served() -> None:
    now, numbers = [0.0], Numbers()
    recent = documents(now)
    await recent.document("2026-10", numbers.compute, behind=5000)
    now[0] = 6.0
    assert await recent.document("2026-10", numbers.compute, behind=5000) == {"n": 2}
    assert await recent.document("2026-11", numbers.compute, behind=5000) == {"n": 3}  # by period


async def test_a_failed_refresh_keeps_the_last_document() -> None:
    now, calls = [0.0], [0]

    async def compute() -> dict[str, Any]:
        calls[0] += 1
        if calls[0] > 1:
            raise RuntimeError("database restarting")
        return {"n": 1}
    recent = documents(now)
    await recent.document("2026-10", compute, behind=5000)
    now[0] = 2.0
    assert (await recent.document("2026-10", compute, behind=5000))["n"] == 1
    await asyncio.sleep(0.01)
    assert calls[0] == 2 and not recent.running
    assert (await recent.document("2026-10", compute, behind=5000))["served"]["age_seconds"] == 2.0
