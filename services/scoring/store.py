"""Scoring's PostgreSQL adapter: the latest snapshot of each case, and the cases a period needs."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from caseflow.contract import snapshot
from caseflow.contract.mapping import from_ms
from caseflow.domain.indicators import Period
from caseflow.domain.state import CaseState


async def save_on_case_snapshots(conn: asyncpg.Connection, raws: Sequence[bytes]) -> list[CaseState]:
    """Keep each snapshot unless a newer version is already stored (redeliveries and reordering are
    no-ops). Returns the states that were newer, one per case."""
    latest: dict[str, tuple[int, CaseState, bytes]] = {}
    for raw in raws:
        version, state = snapshot.decode(raw)
        if state.case_id not in latest or latest[state.case_id][0] < version:
            latest[state.case_id] = (version, state, raw)
    if not latest:
        return []
    items = list(latest.values())
    rows = await conn.fetch(
        "INSERT INTO scoring_cases (case_id, version, snapshot, reported_at, last_event_at) "
        "SELECT * FROM unnest($1::text[], $2::int[], $3::jsonb[], $4::timestamptz[], $5::timestamptz[]) "
        "ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot, "
        "reported_at = EXCLUDED.reported_at, last_event_at = EXCLUDED.last_event_at "
        "WHERE scoring_cases.version < EXCLUDED.version RETURNING case_id",
        [s.case_id for _, s, _ in items], [v for v, _, _ in items], [r.decode() for _, _, r in items],
        [from_ms(s.reported_at) for _, s, _ in items], [from_ms(snapshot.last_event_at(s)) for _, s, _ in items])
    saved = {r["case_id"] for r in rows}
    return [s for _, s, _ in items if s.case_id in saved]


async def cases_for(pool: asyncpg.Pool, period: Period) -> list[CaseState]:
    """Every case with a fact inside the period: reported before its end, last touched after its start."""
    rows = await pool.fetch(
        "SELECT snapshot FROM scoring_cases WHERE reported_at < $1 AND last_event_at >= $2",
        from_ms(min(period.end, period.as_of + 1)), from_ms(period.start))
    return [snapshot.decode(r["snapshot"].encode() if isinstance(r["snapshot"], str) else r["snapshot"])[1]
            for r in rows]
