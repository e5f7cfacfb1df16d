"""scoring's unit standing route and page (issue #32): one unit's month, readable with that unit's own
token (another unit's is refused) or any key."""

from __future__ import annotations

import time
from datetime import datetime
from importlib import resources
from typing import Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse

from caseflow.config.schemes import scheme_versions
from caseflow.domain.assessment_records import Actor
from caseflow.evaluation.labels import REGION_ZH, TERM_ZH
from caseflow.evaluation.periods import PeriodError, month_bounds
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI, iso
from caseflow_scoring.bulletin import bulletin
from caseflow_scoring.exempting import Window
from caseflow_scoring.months import served
from caseflow_scoring.overdue_risk import RiskModels, unit_risks
from caseflow_scoring.people_api import People, actor_dependency, own_only
from caseflow_scoring.period_numbers import Scoring, served_document
from caseflow_scoring.store.cases import PgCases
from caseflow_scoring.store.months import closed_month
from caseflow_scoring.store.period_sources import PgPeriodSources
from caseflow_scoring.unit_standing import unit_standing

PAGE = ((resources.files("caseflow_scoring") / "standing_page.html").read_text(encoding="utf-8")
        .replace("__ZH__", orjson.dumps(TERM_ZH).decode()).replace("__REGION_ZH__", orjson.dumps(REGION_ZH).decode()))
BULLETIN = (resources.files("caseflow_scoring") / "bulletin_page.html").read_text(encoding="utf-8")
CSP = ("default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'")


def add_standing_routes(app: FastAPI, settings: Settings, scoring: Scoring, window: Window, people: People,
                        models: RiskModels) -> None:
    who = Depends(actor_dependency(people))

    async def document(period: str) -> dict[str, Any] | None:
        return await served_document(PgPeriodSources(app.state.pool), period, None, scoring)

    async def closed_document(period: str) -> dict[str, Any] | None:
        record = await closed_month(app.state.pool, period)
        return served(record) if record is not None else None

    @app.get("/v1/units/{unit}/standing", tags=["standing"],
             summary="a unit's month: indicators, every scheme's terms, rank and change, template totals, the "
                     "cases behind each count that costs points, exemptions, 12-month trend")
    async def get_standing(unit: str, period: str | None = Query(None, examples=["2026-11"],
                                                              description="yyyy-mm; default: this month"),
                           actor: Actor = who) -> dict[str, Any]:
        own_only(actor, unit)
        month = period or datetime.now(SHANGHAI).strftime("%Y-%m")
        try:
            month_bounds(month)
        except PeriodError as exc:
            raise HTTPException(422, f"{exc} (a unit's standing is by month: yyyy-mm)") from exc
        found = await unit_standing(unit, month, document, closed_document, PgCases(app.state.pool),
                                    scoring.directory, scoring.schemes, window.closes_at(month),
                                    int(time.time() * 1000), {t.id: t.name for t in scoring.templates.values()})
        if found is None:
            raise HTTPException(404, f"unit {unit!r} is neither configured nor holds an assignment in {month}")
        if month == datetime.now(SHANGHAI).strftime("%Y-%m") and unit in scoring.directory.units:
            found["risk"] = await unit_risks(models, PgCases(app.state.pool), unit, int(time.time() * 1000), 5,
                                           not_late_yet=True)
        return found

    @app.get("/v1/units/{unit}/risk", tags=["standing"],
             summary="a unit's open cases now, riskiest first: the chance each is disposed after its deadline, "
                     "and the facts behind it (docs/rules.md, overdue risk)")
    async def get_risk(unit: str, actor: Actor = who) -> dict[str, Any]:
        own_only(actor, unit)
        if unit not in scoring.directory.units:
            raise HTTPException(404, f"unit {unit!r} is not in the units file")
        now = int(time.time() * 1000)
        found = await unit_risks(models, PgCases(app.state.pool), unit, now)
        return {"unit": unit, "as_of": iso(now), "open": len(found), "cases": found}

    @app.get("/v1/bulletin/{period}", tags=["standing"],
             summary="a closed month's published bulletin (no key, where the city publishes it)")
    async def get_bulletin(period: str) -> dict[str, Any]:
        if not settings.publish_bulletin:
            raise HTTPException(404, "this city does not publish its monthly bulletin (CASEFLOW_PUBLISH_BULLETIN)")
        record = await closed_month(app.state.pool, period)
        if record is None:
            raise HTTPException(404, f"{period} is not closed: only a closed month has a bulletin")
        return bulletin(record, scoring.directory, scoring.schemes, scheme_versions(scoring.schemes))

    @app.get("/bulletin/{period}", response_class=HTMLResponse, tags=["standing"],
             summary="the bulletin page (中文, no key)")
    async def bulletin_page(period: str) -> HTMLResponse:
        return HTMLResponse(BULLETIN.replace("__PERIOD__", orjson.dumps(period).decode().replace("</", "<\\/")),
                            headers={"content-security-policy": CSP})

    @app.get("/units/{unit}/standing", response_class=HTMLResponse, tags=["standing"],
             summary="the unit's standing page (中文, phone first; sign in with the unit's token)")
    async def page(unit: str) -> HTMLResponse:
        return HTMLResponse(PAGE.replace("__UNIT__", orjson.dumps(unit).decode().replace("</", "<\\/")),
                            headers={"content-security-policy": CSP})
