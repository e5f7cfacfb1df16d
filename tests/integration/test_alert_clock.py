"""The deadline clock on real PostgreSQL: each alert id gets one row in alerts_raised and one outbox
row (one message on the alerts topic), however often and however it is planned (issue #20)."""

from __future__ import annotations

import asyncpg
import orjson

from caseflow.domain.alerts import AlertPolicy
from caseflow.domain.rules import Rules
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow_scoring.alerting import raise_alerts, raise_on_cases_changed
from caseflow_scoring.store.alerts import PgAlertLedger
from tests.support.events import ev, ms
from tests.unit.test_alerts import overdue_then_suspended_past_its_deadline


async def outbox_ids(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE topic = 'alerts' ORDER BY id")
    return [orjson.loads(r["value"])["alert_id"] for r in rows]


async def test_a_level_reached_again_goes_out_once(settings: Settings, rules: Rules) -> None:
    case = overdue_then_suspended_past_its_deadline(rules)
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            raised = await raise_on_cases_changed(PgAlertLedger(conn), [case], ms("2026-10-13 09:30"), rules,
                                                  AlertPolicy(), "alerts")
        ids = await outbox_ids(pool)
        assert raised == len(ids) == len(set(ids)) > 0
        async with pool.acquire() as conn, conn.transaction():
            assert await raise_on_cases_changed(PgAlertLedger(conn), [case], ms("2026-10-13 10:00"), rules,
                                                AlertPolicy(), "alerts") == 0
        assert await outbox_ids(pool) == ids
    finally:
        await pool.close()


async def test_one_id_passed_twice_is_one_message(settings: Settings, rules: Rules) -> None:
    from caseflow.domain.alerts import plan_alerts
    from tests.unit.test_alerts import state

    case = state(rules, [ev("reported", "C-B", "2026-10-12 08:00"),
                         ev("dispatched", "C-B", "2026-10-12 09:00", unit="U1",
                            time_limit={"value": 1, "unit": "hours"})])
    alerts = plan_alerts(case, ms("2026-10-12 10:05"), rules)
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            assert await raise_alerts(PgAlertLedger(conn), alerts + alerts[::-1], "alerts") == len(alerts)
        assert sorted(await outbox_ids(pool)) == sorted(a.alert_id for a in alerts)
    finally:
        await pool.close()


async def test_a_fired_deadline_is_taken_before_a_backlog_of_changed_cases(settings: Settings,
                                                                           rules: Rules) -> None:
    """Under a backlog (issue #34), cases made due by a change wait behind deadlines that fall due, even
    deadlines that fall due after the changes were queued; a planned case is a deadline timer again."""
    from caseflow.contract import snapshot
    from caseflow_scoring.store.cases import save_on_case_snapshots
    from tests.unit.test_alerts import state

    cases = [state(rules, [ev("reported", f"C-{n}", "2026-10-12 08:00"),
                           ev("dispatched", f"C-{n}", "2026-10-12 09:00", unit="U1",
                              time_limit={"value": 1, "unit": "hours"})]) for n in range(6)]
    t0 = ms("2026-10-12 10:00")
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(c, 1) for c in cases])
            ledger = PgAlertLedger(conn, pool)
            await ledger.make_due([(c.case_id, {}) for c in cases[:5]], t0)  # the backlog, queued first
            await ledger.set_timers([("C-5", t0 + 10_000)])  # a deadline falling due after them
        async with pool.acquire() as conn, conn.transaction():
            ledger = PgAlertLedger(conn, pool)
            first = [t.case_id for t in await ledger.due_timers(t0 + 20_000, 3)]
            assert first[0] == "C-5" and len(first) == 3  # the deadline, then the oldest changes
            await ledger.set_timers([("C-0", t0 + 30_000), ("C-5", None)])  # planned: C-0 a deadline timer again
        async with pool.acquire() as conn, conn.transaction():
            ledger = PgAlertLedger(conn, pool)
            later = [t.case_id for t in await ledger.due_timers(t0 + 40_000, 2)]
            assert later[0] == "C-0", later
    finally:
        await pool.close()
