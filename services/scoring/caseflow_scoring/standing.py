"""Standing indicators: the current day, month, quarter and year, re-evaluated as snapshots arrive
(debounced per kind) and as time passes (overdue counts move with the clock), stored in PostgreSQL.

Each is the period's document as of the instant it was computed, `rejected` and `assessments` included:
what the period API and `caseflow replay --period P --as-of <as_of>` give for the same events. One
replica refreshes at a time (advisory lock).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

import asyncpg

from caseflow.domain.indicators import Period
from caseflow.evaluation.periods import current_periods, named_bounds
from caseflow_scoring.period_numbers import Scoring, live_document
from caseflow_scoring.store import standing as store
from caseflow_scoring.store.period_sources import PgPeriodSources

log = logging.getLogger(__name__)
KINDS = ("day", "month", "quarter", "year")
# Seconds between refreshes of a kind while snapshots keep coming; bigger periods cost more.
MIN_INTERVAL = {"day": 2.0, "month": 5.0, "quarter": 30.0, "year": 60.0}
MAX_AGE = 60.0  # refreshed at least this often anyway: time alone turns pending into overdue
# A kind waits at least this many times as long as its last refresh took: a province's quarter may take a
# minute to count, and refreshing it back to back would leave scoring's core no time for the snapshots.
IDLE_PER_BUSY = 4.0


async def refresh(pool: asyncpg.Pool, conn: asyncpg.Connection, kinds: tuple[str, ...], now: int,
                  scoring: Scoring) -> dict[str, float]:
    """Evaluate and store the named kinds as of `now`, all on `conn` (the one holding the refresh lock):
    the same document the period API gives for the period as of `now`. Returns the seconds each took."""
    names = current_periods(now)
    took: dict[str, float] = {}
    for kind in kinds:
        began = time.perf_counter()
        start, end = named_bounds(names[kind])
        document = await live_document(PgPeriodSources(pool, conn), names[kind], Period(start, end, now), scoring)
        took[kind] = time.perf_counter() - began
        await store.save(conn, kind, names[kind], now, document, took[kind])
    return took


def due_kinds(last: Mapping[str, float], dirty: set[str], clock: float,
              took: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """Which kinds to refresh now: changed ones past their interval, and any older than MAX_AGE; either
    wait stretched to IDLE_PER_BUSY times what the kind's last refresh took."""
    def waited(kind: str, base: float) -> bool:
        return clock - last.get(kind, -1e9) >= max(base, IDLE_PER_BUSY * (took or {}).get(kind, 0.0))
    return tuple(k for k in KINDS if (k in dirty and waited(k, MIN_INTERVAL[k])) or waited(k, MAX_AGE))


async def run_standing(pool: asyncpg.Pool, scoring: Scoring, stopping: asyncio.Event, changed: asyncio.Event,
                       now_ms: Callable[[], int]) -> None:
    last: dict[str, float] = {}
    took: dict[str, float] = {}
    dirty = set(KINDS)
    while not stopping.is_set():
        kinds = due_kinds(last, dirty, time.monotonic(), took)
        if kinds:
            try:
                async with store.refresh_lock(pool) as conn:
                    if conn is not None:
                        took.update(await refresh(pool, conn, kinds, now_ms(), scoring))
                for k in kinds:
                    last[k] = time.monotonic()
                dirty -= set(kinds)
            except Exception:  # PostgreSQL away: try again on the next round
                log.exception("standing indicators refresh failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout=1.0)
        if changed.is_set():
            changed.clear()
            dirty = set(KINDS)
