"""The latest snapshot of each case, the cases a period or a unit needs, and the events dispatch refused."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import asyncpg
import orjson

from caseflow.contract import snapshot
from caseflow.domain.indicators import Period
from caseflow.domain.state import CaseState
from caseflow.evaluation.document import Refused
from caseflow.instants import from_ms, to_ms
from caseflow_scoring.decoded_states import DecodedStates, states_of


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


async def snapshots_of(db: asyncpg.Pool | asyncpg.Connection, case_ids: Sequence[str]) -> list[tuple[str, bytes]]:
    rows = await db.fetch("SELECT case_id, snapshot FROM scoring_cases WHERE case_id = ANY($1::text[])", case_ids)
    return [(r["case_id"], r["snapshot"].encode()) for r in rows]


def decoded(pool: asyncpg.Pool) -> DecodedStates:
    """The decoded states of this pool's database (a service's work and API pools share one cache)."""
    return states_of(getattr(pool, "url", None) or pool)


BATCH = 5_000  # cases decoded at a time: a province's month is read in ~300 batches, never held whole
_SNAPSHOTS = "SELECT snapshot FROM scoring_cases WHERE reported_at < $1 AND last_event_at >= $2"
_VERSIONS = "SELECT case_id, version FROM scoring_cases WHERE reported_at < $1 AND last_event_at >= $2"


async def case_batches(pool: asyncpg.Pool, period: Period, fresh: bool = False, size: int = BATCH,
                       conn: asyncpg.Connection | None = None) -> AsyncIterator[list[CaseState]]:
    """Every case with a fact inside the period (reported before its end, last touched after its start),
    `size` at a time, read through one cursor: on `conn` when the caller holds one (never a second
    connection while holding a first: issue #36), else on one from the pool. `fresh` decodes every snapshot
    from PostgreSQL (audits and closing check what is stored, not a cache)."""
    bounds = (from_ms(min(period.end, period.as_of + 1)), from_ms(period.start))
    async with contextlib.AsyncExitStack() as held:
        conn = conn if conn is not None else await held.enter_async_context(pool.acquire())
        assert conn is not None
        await held.enter_async_context(conn.transaction(readonly=True))
        query = _SNAPSHOTS if fresh else _VERSIONS
        cursor = await conn.cursor(query, *bounds)
        # A batch per round trip: iterating the cursor row by row costs an await per case on the loop
        # the consumer and the API share (~0.1 s for a city's month).
        while rows := await cursor.fetch(size):
            if fresh:
                yield [snapshot.decode(r["snapshot"].encode())[1] for r in rows]
                continue
            # on the cursor's own connection (between its fetches): no second connection held meanwhile
            pairs = [(r[0], r[1]) for r in rows]  # (case_id, version), by position: the cheaper lookup
            states = await decoded(pool).load(lambda ids: snapshots_of(conn, ids), pairs)
            yield [states[case_id] for case_id, _ in pairs if case_id in states]


async def refused_by(db: asyncpg.Pool | asyncpg.Connection, as_of: int) -> list[Refused]:
    """The events dispatch refused with occurred_at <= as_of, whatever their case's period (rules §9).
    Read from dispatch's table in the same database: the dead-letter topic's content, kept queryable."""
    rows = await db.fetch("SELECT event_id, case_id, occurred_at, reason, detail FROM dispatch_rejections "
                          "WHERE occurred_at <= $1", from_ms(as_of))
    return [Refused(r["event_id"], r["case_id"], to_ms(r["occurred_at"]), r["reason"], r["detail"]) for r in rows]


async def assigned_to(pool: asyncpg.Pool, unit: str) -> list[CaseState]:
    """Every case that was ever assigned to the unit."""
    rows = await pool.fetch("SELECT snapshot FROM scoring_cases WHERE snapshot->'case'->'assignments' @> $1::jsonb",
                            orjson.dumps([{"unit": unit}]).decode())
    return [snapshot.decode(r["snapshot"].encode())[1] for r in rows]


class PgCases:
    """The CaseReader port on a pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    def case_batches(self, period: Period) -> AsyncIterator[list[CaseState]]:
        return case_batches(self.pool, period)

    async def assigned_to(self, unit: str) -> list[CaseState]:
        return await assigned_to(self.pool, unit)

    async def with_facts(self, case_ids: Sequence[str]) -> dict[str, tuple[CaseState, dict[str, str]]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT case_id, version, snapshot->'facts' AS facts FROM scoring_cases "
                                    "WHERE case_id = ANY($1::text[])", list(case_ids))
            states = await decoded(self.pool).load(lambda ids: snapshots_of(conn, ids),
                                                   [(r["case_id"], r["version"]) for r in rows])
        return {r["case_id"]: (states[r["case_id"]], orjson.loads(r["facts"]) if r["facts"] else {})
                for r in rows if r["case_id"] in states}
