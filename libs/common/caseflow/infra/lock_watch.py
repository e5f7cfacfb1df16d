"""The lock watch: a statement of this process that has waited for a PostgreSQL lock for more than a few
seconds is logged with what it waits for (the blocking backend, its purpose when it is one of ours, its
state and last statement) and shows in `caseflow_db_lock_wait_seconds` / `caseflow_db_long_waits`.

It asks pg_stat_activity on a connection of its own, so a pool that is all taken cannot hide a wait."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from caseflow.infra.metrics import DB_LOCK_WAIT_SECONDS, DB_WAITS_NOW
from caseflow.infra.pool_watch import REPEAT_EVERY, WARN_AFTER, Holding, WatchedPool

log = logging.getLogger(__name__)

WAITS = """
SELECT w.pid, extract(epoch FROM now() - w.query_start)::float8 AS waited, w.wait_event, left(w.query, 160) AS query,
       b.pid AS blocker, b.application_name AS blocker_app, b.state AS blocker_state,
       extract(epoch FROM now() - b.xact_start)::float8 AS blocker_xact, left(b.query, 160) AS blocker_query
FROM pg_stat_activity w
LEFT JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid) ON true
LEFT JOIN pg_stat_activity b ON b.pid = bp.pid
WHERE w.pid = ANY($1::int[]) AND w.wait_event_type = 'Lock' AND w.query_start < now() - make_interval(secs => $2)
"""


def describe(row: Any, ours: dict[int, Holding]) -> str:
    """One waiting statement and what blocks it, in a line."""
    waiting = ours.get(row["pid"])
    who = waiting.purpose if waiting else f"pid {row['pid']}"
    line = (f"{who} has waited {row['waited']:.1f} s for a lock ({row['wait_event']}) in {row['query']!r}")
    if row["blocker"] is None:
        return line + "; the blocker has already gone"
    holder = ours.get(row["blocker"])
    by = f"{holder.purpose} of this process" if holder else f"{row['blocker_app'] or 'an unnamed client'}"
    xact = f" for {row['blocker_xact']:.1f} s" if row["blocker_xact"] is not None else ""
    return (line + f", held by pid {row['blocker']} ({by}, {row['blocker_state']}{xact}, "
            f"last statement {row['blocker_query']!r})")


class LockWatch:
    def __init__(self, service: str, url: str, pools: Sequence[WatchedPool]) -> None:
        self.service, self.url, self.pools = service, url, pools
        self._conn: asyncpg.Connection | None = None
        self._told: dict[int, float] = {}  # waiting pid -> when last logged

    async def check(self) -> list[str]:
        """Log the waits longer than WARN_AFTER (each again every REPEAT_EVERY); returns the lines."""
        ours = {pid: h for pool in self.pools for pid, h in pool.by_pid().items()}
        if not ours:
            self._set(0, 0.0)
            return []
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(
                    self.url, timeout=5, server_settings={"application_name": f"caseflow-{self.service}-watch"[:63]})
            rows = await self._conn.fetch(WAITS, list(ours), WARN_AFTER, timeout=5)
        except Exception as exc:  # PostgreSQL away: the pool's own errors say so; try again next time
            log.debug("lock watch: %s", exc)
            await self.close()
            return []
        waiting = {r["pid"] for r in rows}
        self._set(len(waiting), max((r["waited"] for r in rows), default=0.0))
        now = time.monotonic()
        due = {pid for pid in waiting if now - self._told.get(pid, -1e9) >= REPEAT_EVERY}
        lines = [describe(row, ours) for row in rows if row["pid"] in due]
        self._told = {pid: at for pid, at in self._told.items() if pid in waiting} | dict.fromkeys(due, now)
        for line in lines:
            log.warning("%s: %s", self.service, line)
        return lines

    def _set(self, count: int, longest: float) -> None:
        DB_WAITS_NOW.labels(self.service, "lock").set(count)
        DB_LOCK_WAIT_SECONDS.labels(self.service).set(longest)

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
