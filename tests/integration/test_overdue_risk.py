"""Overdue risk live (#35), on real PostgreSQL: scoring's risk of a unit's open cases equals the offline
forecast (`caseflow forecast`'s code) of the same cases at the same instant; the API answers a unit's own
token and refuses another unit's; the unit's standing lists its riskiest cases not yet late."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from caseflow.config.units import Directory, load_directory
from caseflow.contract import alert, case_risk, snapshot
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.infra import db, topics
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow.replay.engine import CaseBook
from caseflow.replay.forecasting import forecast_at
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_scoring.main import bootstrap as scoring_app
from caseflow_scoring.overdue_risk import RiskModels, unit_risks
from caseflow_scoring.risk_warnings import sweep_risks
from caseflow_scoring.store.alerts import PgAlertLedgers
from caseflow_scoring.store.cases import PgCases, save_on_case_snapshots


async def stored_cases(settings: Settings, rules: Rules, tmp_path: Path, seed: int
                       ) -> tuple[int, Directory, list[CaseState]]:
    """Twenty days of generated cases up to now, folded and stored as scoring keeps them (with an address)."""
    now = int(time.time() * 1000)
    shape = Shape(cases=600, units=6, regions=2, seed=seed, unit_speeds=0.8,
                  start=datetime.now(SHANGHAI) - timedelta(days=20))
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    book = CaseBook(rules)
    for seq, line in enumerate(generate(shape)):
        book.add_raw(line.rstrip(b"\n"), seq, now)
    states = book.cases()
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1, {"address": f"{s.grid} 路口"}) for s in states])
    finally:
        await pool.close()
    return now, load_directory(tmp_path / "units.yaml"), states


async def test_live_risk_equals_the_offline_forecast_and_is_the_units_own(settings: Settings, rules: Rules,
                                                                         tmp_path: Path) -> None:
    now, directory, states = await stored_cases(settings, rules, tmp_path, 5)
    forecast = forecast_at(states, now, rules, directory.unit_class)
    # the cases are generated up to the wall clock, so which unit has most still open varies with the day
    # (holidays, weekends); the unit with most cases not yet late is the one that says most
    unit = max(sorted({r.unit for r in forecast}),
               key=lambda u: (sum(1 for r in forecast if r.unit == u and (r.p_late or 0) < 1),
                              sum(1 for r in forecast if r.unit == u)))
    pool = await db.connect(settings.database_url)
    try:
        models = RiskModels(rules, directory.unit_class)
        live = await unit_risks(models, PgCases(pool), unit, now)
    finally:
        await pool.close()
    offline = [r for r in forecast if r.unit == unit]
    assert len(live) == len(offline) > 3
    assert [(x["case_id"], x["p_late"], x["why"]) for x in live] == [(r.case_id, r.p_late, r.why) for r in offline]
    assert all(x["address"].endswith(" 路口") for x in live)  # the case's facts, for the person reading it

    await topics.ensure_topics(settings)
    other = next(u for u in sorted({r.unit for r in forecast}) if u != unit)
    configured = settings.model_copy(update={"api_keys": "reader:reader-key", "readers": "reader",
                                             "unit_tokens": f"{unit}:u1-token,{other}:u2-token",
                                             "units_file": tmp_path / "units.yaml"})
    with TestClient(scoring_app(configured)) as scoring:
        own = scoring.get(f"/v1/units/{unit}/risk", headers={"Authorization": "Bearer u1-token"})
        assert own.status_code == 200, own.text
        body = own.json()
        assert body["open"] == len(body["cases"]) >= len(live)  # a moment later, the same cases or more
        assert {c["case_id"] for c in live} <= {c["case_id"] for c in body["cases"]}
        assert scoring.get(f"/v1/units/{unit}/risk", headers={"Authorization": "Bearer u2-token"}).status_code == 403
        assert scoring.get("/v1/units/U-404/risk", headers={"X-API-Key": "reader-key"}).status_code == 404
        standing = scoring.get(f"/v1/units/{unit}/standing", headers={"Authorization": "Bearer u1-token"}).json()
        shown = standing["risk"]
        assert 0 < len(shown) <= 5 and all(r["p_late"] < 1 for r in shown)
        chances = [r["p_late"] for r in shown]
        assert chances == sorted(chances, reverse=True)


async def test_the_pre_warning_is_raised_once_whoever_asks_again(settings: Settings, rules: Rules,
                                                                 tmp_path: Path) -> None:
    """Two replicas (each its own model) and a second round raise each pre-warning once; what leaves is a
    contract alert naming the chance and the facts; nothing past the ordinary warning's point is in it."""
    now, directory, states = await stored_cases(settings, rules, tmp_path, 6)
    pool = await db.connect(settings.database_url)
    try:
        counts = []
        for _ in range(2):  # replica a, replica b
            models = RiskModels(rules, directory.unit_class)
            counts.append((await sweep_risks(PgCases(pool), PgAlertLedgers(pool), models, 0.5, "alerts", "risks",
                                             now))[1])
        counts.append((await sweep_risks(PgCases(pool), PgAlertLedgers(pool), models, 0.5, "alerts", "risks",
                                         now + 60_000))[1])  # a minute on: the same cases, nothing new
        kept: dict[str, float] = {}  # a replica's loop keeps what it sent: unchanged risks are not resent
        again = [(await sweep_risks(PgCases(pool), PgAlertLedgers(pool), models, 0.5, "alerts", "quiet", now,
                                    kept))[0] for _ in range(2)]
        kept["C-CLOSED#1"] = 0.5  # what it kept of a case closed since is dropped, not kept for ever
        await sweep_risks(PgCases(pool), PgAlertLedgers(pool), models, 0.5, "alerts", "quiet", now, kept)
        assert "C-CLOSED#1" not in kept and len(kept) == again[0]
        bodies = [alert.decode(r["value"]) for r in await pool.fetch("SELECT value FROM outbox WHERE topic = 'alerts'")]
        published = [case_risk.decode(r["value"]) for r in await pool.fetch("SELECT value FROM outbox "
                                                                             "WHERE topic = 'risks'")]
    finally:
        await pool.close()
    assert counts[0] > 0 and counts[1:] == [0, 0] and len(bodies) == counts[0]
    assert again[0] > 0 and again[1] == 0, again
    open_now = {(r.case_id, r.seq) for r in forecast_at(states, now, rules, directory.unit_class)
                if r.p_late is not None}  # a case with too little history to say is not published
    assert {(r.case_id, r.seq) for r in published} == open_now  # every open assignment, each round
    assert len(published) == 3 * len(open_now)
    assert len({b.alert_id for b in bodies}) == len(bodies)
    for b in bodies:
        assert b.reason is alert.Reason.OVERDUE_RISK and b.type is alert.AlertType.DEADLINE_WARNING
        assert b.detail.startswith("超期风险 ") and b.case.address.endswith(" 路口") and b.deadline
        share = int(b.detail.split("已用时限 ")[1].split("%")[0])
        assert share < 80  # before the ordinary warning
