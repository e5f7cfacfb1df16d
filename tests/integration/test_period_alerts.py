"""Month-wide alerts on real PostgreSQL: repeat cases and a unit below its on-time target, raised once."""

from __future__ import annotations

import orjson

from caseflow.config.units import parse_directory
from caseflow.contract import snapshot
from caseflow.domain.rules import Rules
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.replay.engine import CaseBook
from caseflow_scoring.period_alerts import raise_period_alerts
from caseflow_scoring.store.alerts import PgAlertLedgers
from caseflow_scoring.store.cases import PgCases, save_on_case_snapshots
from tests.support.events import ev, ms


def month_events() -> list[dict]:  # type: ignore[type-arg]
    events = []
    for i in range(12):  # U1: 12 late cases -> on_time_rate 0 with 12 due
        c = f"L{i}"
        events += [ev("reported", c, "2026-10-12 08:00", grid=f"G{i}"), ev("filed", c, "2026-10-12 08:10"),
                   ev("dispatched", c, "2026-10-12 09:00", unit="U1", time_limit={"value": 1, "unit": "hours"}),
                   ev("disposed", c, "2026-10-12 15:00", unit="U1")]
    for c, at in (("R1", "2026-10-13 09:00"), ("R2", "2026-10-13 10:00")):  # a repeat on a primary road
        events += [ev("reported", c, at, grid="GR", road_grade="primary"), ev("filed", c, at[:11] + "11:00")]
    events.append(ev("dispatched", "R2", "2026-10-13 11:30", unit="U1",
                     time_limit={"value": 2, "unit": "working_days"}))
    return events


async def test_period_alerts_raised_once(settings: Settings, rules: Rules) -> None:
    book = CaseBook(rules)
    for seq, event in enumerate(month_events()):
        book.add_raw(orjson.dumps(event), seq)
    pool = await db.connect(settings.database_url)
    try:
        facts = {"R2": {"description": "占道经营", "address": "临平大道 1 号", "category": "event"}}
        async with pool.acquire() as conn:
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1, facts.get(s.case_id)) for s in book.cases()])
        directory = parse_directory({"units": [{"id": "U1", "class": 1, "targets": {"on_time_rate": 0.95}}]}, "t")
        now = ms("2026-10-20 12:00")
        cases, ledgers = PgCases(pool), PgAlertLedgers(pool)
        assert await raise_period_alerts(cases, ledgers, rules, directory, "alerts", now) == 2
        assert await raise_period_alerts(cases, ledgers, rules, directory, "alerts", now + 60_000) == 0
        rows = await pool.fetch("SELECT case_id, unit, body FROM alerts_raised ORDER BY case_id")
        bodies = sorted((orjson.loads(r["body"]) for r in rows), key=lambda b: b["reason"])
        assert [b["reason"] for b in bodies] == ["below_target", "repeat_case"]
        assert bodies[0]["detail"].startswith("month-to-date on_time_rate ")
        assert {r["case_id"] for r in rows} == {"", "R2"}
        repeat = next(orjson.loads(r["body"]) for r in rows if r["case_id"] == "R2")
        # the unit reads what the case is, as for the clock's alerts
        assert {k: v for k, v in repeat["case"].items() if v} == facts["R2"]
        assert repeat["deadline"] == "2026-10-15T11:30:00+08:00" and repeat["limit_kind"] == "working"
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = 'alerts'") == 2
    finally:
        await pool.close()
