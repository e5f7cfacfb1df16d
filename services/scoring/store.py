"""Scoring's PostgreSQL adapter: the latest snapshot of each case, and the cases a period needs."""

from __future__ import annotations

import asyncpg

from caseflow.contract import snapshot
from caseflow.contract.mapping import from_ms
from caseflow.domain.indicators import Period
from caseflow.domain.state import CaseState


async def save_on_case_snapshot(conn: asyncpg.Connection, raw: bytes) -> CaseState | None:
    """Keep the snapshot unless a newer version is already stored (redeliveries and reordering are no-ops).
    Returns the state when it was newer."""
    version, state = snapshot.decode(raw)
    status = await conn.execute(
        "INSERT INTO scoring_cases (case_id, version, snapshot, reported_at, last_event_at) "
        "VALUES ($1, $2, $3::jsonb, $4, $5) "
        "ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot, "
        "reported_at = EXCLUDED.reported_at, last_event_at = EXCLUDED.last_event_at "
        "WHERE scoring_cases.version < EXCLUDED.version",
        state.case_id, version, raw.decode(), from_ms(state.reported_at), from_ms(snapshot.last_event_at(state)))
    return state if status.endswith("1") else None


async def cases_for(pool: asyncpg.Pool, period: Period) -> list[CaseState]:
    """Every case with a fact inside the period: reported before its end, last touched after its start."""
    rows = await pool.fetch(
        "SELECT snapshot FROM scoring_cases WHERE reported_at < $1 AND last_event_at >= $2",
        from_ms(min(period.end, period.as_of + 1)), from_ms(period.start))
    return [snapshot.decode(r["snapshot"].encode() if isinstance(r["snapshot"], str) else r["snapshot"])[1]
            for r in rows]
