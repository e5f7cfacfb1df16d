"""The deadline clock's PostgreSQL side: alerts raised (one row per id, forever) and each case's
next timer (with the trace of the change that made it due)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from caseflow.domain.alerts import Alert
from caseflow.instants import from_ms


async def record_raised(conn: asyncpg.Connection, alerts: Sequence[Alert], bodies: Mapping[str, bytes]) -> set[str]:
    """Insert the alerts not raised before; returns the ids inserted now."""
    rows = await conn.fetch(
        "INSERT INTO alerts_raised (alert_id, case_id, unit, type, level, due_at, body) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], "
        "$7::jsonb[]) ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id",
        [a.alert_id for a in alerts], [a.case_id for a in alerts], [a.unit for a in alerts],
        [a.type for a in alerts], [a.level for a in alerts], [from_ms(a.at) for a in alerts],
        [bodies[a.alert_id].decode() for a in alerts])
    return {r["alert_id"] for r in rows}


async def set_timers(conn: asyncpg.Connection, timers: Sequence[tuple[str, int | None]]) -> None:
    """Each case's next planning instant; None: nothing can fire any more (the timer goes)."""
    done = [c for c, t in timers if t is None]
    if done:
        await conn.execute("DELETE FROM alert_timers WHERE case_id = ANY($1::text[])", done)
    pending = [(c, from_ms(t)) for c, t in timers if t is not None]
    if pending:
        await conn.execute(
            "INSERT INTO alert_timers (case_id, next_at) SELECT * FROM unnest($1::text[], $2::timestamptz[]) "
            "ON CONFLICT (case_id) DO UPDATE SET next_at = EXCLUDED.next_at, trace = '{}'",
            [c for c, _ in pending], [t for _, t in pending])


async def make_due(conn: asyncpg.Connection, cases: Sequence[tuple[str, Mapping[str, str]]], now: int) -> None:
    """These cases' timers are due at `now`, each with the trace headers of its change."""
    if cases:
        await conn.execute(
            "INSERT INTO alert_timers (case_id, next_at, trace) "
            "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[]) "
            "ON CONFLICT (case_id) DO UPDATE SET next_at = EXCLUDED.next_at, trace = EXCLUDED.trace",
            [c for c, _ in cases], [from_ms(now)] * len(cases), [orjson.dumps(dict(h)).decode() for _, h in cases])


@dataclass(frozen=True)
class DueTimer:
    case_id: str
    version: int
    trace: dict[str, str]
    facts: dict[str, Any]


async def due_timers(conn: asyncpg.Connection, now: int, batch: int) -> list[DueTimer]:
    """Up to `batch` timers due by `now`, locked for this transaction (replicas skip them)."""
    rows = await conn.fetch(
        "SELECT t.case_id, t.trace, c.version, c.snapshot->'facts' AS facts "
        "FROM alert_timers t JOIN scoring_cases c USING (case_id) "
        "WHERE t.next_at <= $1 ORDER BY t.next_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED",
        from_ms(now), batch)
    return [DueTimer(r["case_id"], r["version"], orjson.loads(r["trace"]) if r["trace"] != "{}" else {},
                     orjson.loads(r["facts"]) if r["facts"] else {}) for r in rows]


async def seconds_to_next_timer(pool: asyncpg.Pool) -> float:
    """Sleep until the earliest timer (alerts fire on time), at most 1 s (new timers may come sooner)."""
    try:
        seconds = await pool.fetchval("SELECT extract(epoch FROM min(next_at) - now()) FROM alert_timers")
    except Exception:
        return 1.0
    return 1.0 if seconds is None else min(1.0, max(0.01, float(seconds)))
