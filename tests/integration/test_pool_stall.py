"""The failover stall of issue #36, rebuilt on real PostgreSQL.

The surviving scoring replica stopped for 65 s: its deadline clock held its due timer rows (FOR UPDATE)
and asked the pool for a second connection to load the cases' states; the consumer's batch, holding a
connection, waited on those rows (`make_due`); the rest of the small pool was held by the outbox relay's
standby loop and the standing refresh, itself waiting for a second connection. Nothing moved until the
consumer's statement timed out. These tests make the same interleaving happen on purpose and require
that everything finishes, and that a long wait is told (metric and log line naming who waits on what)."""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import Directory
from caseflow.contract import snapshot
from caseflow.domain.alerts import AlertPolicy
from caseflow.domain.rules import Rules
from caseflow.infra import db, pool_watch
from caseflow.infra.lock_watch import LockWatch
from caseflow.infra.metrics import DB_NESTED_ACQUIRES, DB_POOL_WAIT_SECONDS, DB_WAITS_NOW
from caseflow.infra.settings import Settings
from caseflow_scoring.alerting import tick
from caseflow_scoring.period_numbers import Scoring
from caseflow_scoring.standing import KINDS, refresh
from caseflow_scoring.store.alerts import PgAlertLedger, PgAlertLedgers
from caseflow_scoring.store.cases import save_on_case_snapshots
from caseflow_scoring.store.standing import refresh_lock, standing
from tests.support.events import ev, ms
from tests.unit.test_alerts import state

NOW = ms("2026-10-13 10:00")


async def seed_due_cases(pool: asyncpg.Pool, rules: Rules, count: int = 5) -> list[str]:
    """Cases dispatched with a 1-hour limit, overdue at NOW, each with its timer due."""
    cases = [state(rules, [ev("reported", f"C-{i}", "2026-10-12 08:00"),
                           ev("dispatched", f"C-{i}", "2026-10-12 09:00", unit="U1",
                              time_limit={"value": 1, "unit": "hours"})]) for i in range(count)]
    async with pool.acquire() as conn, conn.transaction():
        await save_on_case_snapshots(conn, [snapshot.encode(c, 1) for c in cases])
        await PgAlertLedger(conn, pool).make_due([(c.case_id, {}) for c in cases], NOW)
    return [c.case_id for c in cases]


async def waits_on_a_lock(probe: asyncpg.Connection, pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while await probe.fetchval("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid) != "Lock":
        assert time.monotonic() < deadline, "the consumer's batch never reached the locked timer rows"
        await asyncio.sleep(0.02)


class PausingLedgers(PgAlertLedgers):
    """The real ledgers, with the clock paused after it has locked its due timers until `go` is set:
    the moment the consumer's batch came in during the failover."""

    def __init__(self, pool: asyncpg.Pool, locked: asyncio.Event, go: asyncio.Event) -> None:
        super().__init__(pool)
        self.locked, self.go = locked, go

    def transaction(self):  # type: ignore[no-untyped-def]
        outer = super().transaction()
        locked, go = self.locked, self.go

        class Paused:
            async def __aenter__(self) -> PgAlertLedger:
                ledger = await outer.__aenter__()
                due_timers = ledger.due_timers

                async def due_then_pause(now: int, batch: int):  # type: ignore[no-untyped-def]
                    found = await due_timers(now, batch)
                    locked.set()
                    await go.wait()
                    return found

                ledger.due_timers = due_then_pause  # type: ignore[method-assign]
                return ledger

            async def __aexit__(self, *exc: object) -> None:
                await outer.__aexit__(*exc)

        return Paused()


async def test_the_clock_and_a_consumer_batch_on_the_same_cases_both_finish_with_the_pool_all_taken(
        settings: Settings, rules: Rules) -> None:
    pool = await db.connect(settings.database_url, size=2, service="test-scoring")
    probe = await asyncpg.connect(settings.database_url)
    try:
        cases = await seed_due_cases(pool, rules)
        locked, go = asyncio.Event(), asyncio.Event()
        clock = asyncio.create_task(pool_watch.as_purpose("deadline-clock", tick(
            PausingLedgers(pool, locked, go), rules, AlertPolicy(), "alerts", NOW, 10)))
        await asyncio.wait_for(locked.wait(), 10)

        async def consumer_batch() -> None:  # a snapshot batch for the same cases, as handle() runs it
            async with pool.acquire() as conn, conn.transaction():
                await PgAlertLedger(conn, pool).make_due([(c, {}) for c in cases], NOW + 1)
        consumer = asyncio.create_task(pool_watch.as_purpose("consumer", consumer_batch()))
        holders = await asyncio.wait_for(_two_held(pool), 10)
        await waits_on_a_lock(probe, next(h.pid for h in holders if h.purpose == "consumer"))
        go.set()  # the clock now loads the cases' states: with the pool all taken, only on its own connection
        done, _ = await asyncio.wait({clock, consumer}, timeout=15)
        assert done == {clock, consumer}, f"stalled: {pool.describe_holders()}"
        assert clock.result() == len(cases)
        raised = await probe.fetchval("SELECT count(*) FROM alerts_raised")
        assert raised > 0
        assert DB_NESTED_ACQUIRES.labels("test-scoring", "work", "deadline-clock")._value.get() == 0
    finally:
        go.set()
        await probe.close()
        await pool.close()


async def _two_held(pool: pool_watch.WatchedPool) -> list[pool_watch.Holding]:
    while len(pool.holders()) < 2:
        await asyncio.sleep(0.01)
    return pool.holders()


async def test_the_standing_refresh_runs_on_a_pool_of_one(settings: Settings, rules: Rules) -> None:
    """The refresh holds its lock on one connection; it used to ask the pool for more while holding it."""
    pool = await db.connect(settings.database_url, size=1, service="test-standing")
    try:
        await seed_due_cases(pool, rules)

        async def refreshed() -> dict[str, float]:
            async with refresh_lock(pool) as conn:
                assert conn is not None
                return await refresh(pool, conn, KINDS, NOW, Scoring(rules, Directory({}, {}), load_schemes()))
        took = await asyncio.wait_for(pool_watch.as_purpose("standing", refreshed()), 20)
        assert set(took) == set(KINDS)
        month = await standing(pool, "month")
        assert month is not None and month["period_name"] == "2026-10"
    finally:
        await pool.close()


async def test_a_long_pool_wait_is_counted_and_names_the_holders(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(pool_watch, "WARN_AFTER", 0.3)
    pool = await db.connect(settings.database_url, size=1, service="test-wait")
    waits = DB_WAITS_NOW.labels("test-wait", "pool:work")
    try:
        release = asyncio.Event()

        async def hold() -> None:
            async with pool.acquire():
                await release.wait()
        holder = asyncio.create_task(pool_watch.as_purpose("consumer", hold()))
        await asyncio.sleep(0.05)
        caplog.set_level(logging.WARNING, logger="caseflow.infra.pool_watch")
        waiter = asyncio.create_task(pool_watch.as_purpose("http GET /v1/periods/2026-10", pool.fetchval("SELECT 1")))
        await asyncio.sleep(0.6)
        assert waits._value.get() == 1
        line = next(r.getMessage() for r in caplog.records if "has waited" in r.getMessage())
        assert "http GET /v1/periods/2026-10 has waited" in line and "consumer" in line and "1 of 1 in use" in line
        release.set()
        assert await asyncio.wait_for(waiter, 5) == 1
        await holder
        assert waits._value.get() == 0
        observed = DB_POOL_WAIT_SECONDS.labels("test-wait", "work", "http GET /v1/periods/2026-10")
        assert observed._sum.get() >= 0.5
    finally:
        await pool.close()


async def test_a_second_connection_while_holding_one_is_counted(settings: Settings) -> None:
    pool = await db.connect(settings.database_url, size=3, service="test-nested")
    try:
        async def nested() -> None:
            async with pool.acquire():
                await pool.fetchval("SELECT 1")
        await pool_watch.as_purpose("careless", nested())
        assert DB_NESTED_ACQUIRES.labels("test-nested", "work", "careless")._value.get() == 1
    finally:
        await pool.close()


async def test_a_long_lock_wait_is_told_with_its_blocker(settings: Settings, rules: Rules,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Someone else (here: a session of a replica that holds its transaction open) holds the timer rows;
    the consumer's batch waits on them. The lock watch names the waiting purpose and the blocker."""
    pool = await db.connect(settings.database_url, size=2, service="test-locks")
    other = await asyncpg.connect(settings.database_url, server_settings={"application_name": "caseflow-scoring"})
    watch = LockWatch("test-locks", settings.database_url, [pool])
    try:
        cases = await seed_due_cases(pool, rules)
        blocking = other.transaction()
        await blocking.start()
        await other.fetch("SELECT * FROM alert_timers FOR UPDATE")

        async def consumer_batch() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await PgAlertLedger(conn, pool).make_due([(c, {}) for c in cases], NOW + 1)
        consumer = asyncio.create_task(pool_watch.as_purpose("consumer", consumer_batch()))
        caplog.set_level(logging.WARNING, logger="caseflow.infra.lock_watch")
        deadline = time.monotonic() + 15
        lines: list[str] = []
        while not lines:
            assert time.monotonic() < deadline, "the lock watch never told the wait"
            await asyncio.sleep(0.5)
            lines = await watch.check()
        assert "consumer has waited" in lines[0] and f"held by pid {other.get_server_pid()}" in lines[0]
        assert "caseflow-scoring" in lines[0] and "FOR UPDATE" in lines[0]
        assert DB_WAITS_NOW.labels("test-locks", "lock")._value.get() == 1
        assert any("consumer has waited" in r.getMessage() for r in caplog.records)
        await blocking.rollback()
        await asyncio.wait_for(consumer, 10)
        assert await watch.check() == []
        assert DB_WAITS_NOW.labels("test-locks", "lock")._value.get() == 0
    finally:
        await watch.close()
        await other.close()
        await pool.close()
