"""The deadline clock's PostgreSQL side: alerts raised (one row per id, forever), each case's next
timer (with the trace of the change that made it due), and the outbox the alerts leave by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager

import asyncpg
import orjson

from caseflow.domain.alerts import Alert
from caseflow.domain.state import CaseState
from caseflow.infra import db, outbox
from caseflow.instants import from_ms
from caseflow_scoring.ports import DueTimer, Outgoing
from caseflow_scoring.store.cases import decoded, snapshots_of

OUTBOX_SOURCE = "caseflow-scoring"  # the consumer group: its relay sends these rows
# Two constant statements, not one with a parameter: each predicate matches its partial index (019).
_DUE_DEADLINES = ("SELECT t.case_id, t.trace, c.version, c.snapshot->'facts' AS facts "
                  "FROM alert_timers t JOIN scoring_cases c USING (case_id) "
                  "WHERE NOT t.changed AND t.next_at <= $1 ORDER BY t.next_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED")
_DUE_CHANGED = ("SELECT t.case_id, t.trace, c.version, c.snapshot->'facts' AS facts "
                "FROM alert_timers t JOIN scoring_cases c USING (case_id) "
                "WHERE t.changed AND t.next_at <= $1 ORDER BY t.next_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED")


class PgAlertLedger:
    """The AlertLedger port on one connection, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection, pool: asyncpg.Pool | None = None) -> None:
        self.conn, self.pool = conn, pool

    async def record_raised(self, alerts: Sequence[Alert], bodies: Mapping[str, bytes]) -> set[str]:
        rows = await self.conn.fetch(
            "INSERT INTO alerts_raised (alert_id, case_id, unit, type, level, due_at, body) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], "
            "$7::jsonb[]) ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id",
            [a.alert_id for a in alerts], [a.case_id for a in alerts], [a.unit for a in alerts],
            [a.type for a in alerts], [a.level for a in alerts], [from_ms(a.at) for a in alerts],
            [bodies[a.alert_id].decode() for a in alerts])
        return {r["alert_id"] for r in rows}

    async def set_timers(self, timers: Sequence[tuple[str, int | None]]) -> None:
        done = [c for c, t in timers if t is None]
        if done:
            await self.conn.execute("DELETE FROM alert_timers WHERE case_id = ANY($1::text[])", done)
        pending = [(c, from_ms(t)) for c, t in timers if t is not None]
        if pending:
            await self.conn.execute(
                "INSERT INTO alert_timers (case_id, next_at) SELECT * FROM unnest($1::text[], $2::timestamptz[]) "
                "ON CONFLICT (case_id) DO UPDATE SET next_at = EXCLUDED.next_at, trace = '{}', changed = false",
                [c for c, _ in pending], [t for _, t in pending])

    async def make_due(self, cases: Sequence[tuple[str, Mapping[str, str]]], now: int) -> None:
        if cases:
            await self.conn.execute(
                "INSERT INTO alert_timers (case_id, next_at, trace, changed) "
                "SELECT *, true FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[]) "
                "ON CONFLICT (case_id) DO UPDATE SET next_at = EXCLUDED.next_at, trace = EXCLUDED.trace, "
                "changed = true",
                [c for c, _ in cases], [from_ms(now)] * len(cases),
                [orjson.dumps(dict(h)).decode() for _, h in cases])

    async def due_timers(self, now: int, batch: int) -> list[DueTimer]:
        """Fired deadlines first, then cases made due by a change: under a backlog of history being
        re-planned, a deadline that falls due now is not queued behind it (issue #34)."""
        rows = await self.conn.fetch(_DUE_DEADLINES, from_ms(now), batch)
        if len(rows) < batch:
            rows += await self.conn.fetch(_DUE_CHANGED, from_ms(now), batch - len(rows))
        return [DueTimer(r["case_id"], r["version"], orjson.loads(r["trace"]) if r["trace"] != "{}" else {},
                         orjson.loads(r["facts"]) if r["facts"] else {}) for r in rows]

    async def states(self, versions: Sequence[tuple[str, int]]) -> dict[str, CaseState]:
        if self.pool is None:
            raise RuntimeError("PgAlertLedger.states needs the pool (the decoded-state cache is per pool)")
        # On this transaction's own connection: asking the pool for a second one while this one holds
        # the timer rows stalled a replica for a minute when the pool ran out (issue #36).
        return await decoded(self.pool).load(lambda ids: snapshots_of(self.conn, ids), versions)

    async def enqueue(self, messages: Sequence[Outgoing]) -> None:
        await outbox.enqueue(self.conn, OUTBOX_SOURCE, messages)


class PgAlertLedgers:
    """The AlertLedgers port on a pool: a connection and a transaction per use."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    def transaction(self) -> AbstractAsyncContextManager[PgAlertLedger]:
        return db.transaction(self.pool, lambda conn: PgAlertLedger(conn, self.pool))

    async def seconds_to_next_timer(self) -> float:
        """Sleep until the earliest timer (alerts fire on time), at most 1 s (new timers may come sooner)."""
        try:
            seconds = await self.pool.fetchval("SELECT extract(epoch FROM min(next_at) - now()) FROM alert_timers")
        except Exception:
            return 1.0
        return 1.0 if seconds is None else min(1.0, max(0.01, float(seconds)))
