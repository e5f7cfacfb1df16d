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
