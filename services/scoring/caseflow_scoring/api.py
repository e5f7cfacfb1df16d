"""scoring's HTTP API: periods (live or closed), the standing current periods, units, regions,
scoreboards, manual evaluations and closing a month. Routes only: the numbers come from
`period_numbers`, storage from the store modules."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
import orjson
from fastapi import Depends, FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, Field

from caseflow.config.schemes import scheme_versions
from caseflow.config.units import Directory
from caseflow.contract.alert import AlertMessage
from caseflow.domain.indicators import Period
from caseflow.evaluation.assessments import ranked_rows
from caseflow.evaluation.listings import LISTING_KINDS
from caseflow.evaluation.periods import PeriodError
from caseflow.infra.http import api_key_auth, operator_auth
from caseflow.infra.settings import Settings
from caseflow.version import code_version
from caseflow_scoring.alerting import wall_clock_ms
from caseflow_scoring.bulletins import centre_bulletin, unit_bulletins
from caseflow_scoring.catching_up import RecentDocuments
from caseflow_scoring.months import CloseRefused, CloseRequest, close_month
from caseflow_scoring.overdue import open_overdue
from caseflow_scoring.period_numbers import Scoring, period_numbers, period_of, served_document
from caseflow_scoring.store.cases import PgCases, case_batches
from caseflow_scoring.store.evaluations import audit_trail, manual_inputs, put_evaluation
from caseflow_scoring.store.months import PgMonthBook, closed_month
from caseflow_scoring.store.period_sources import PgPeriodSources
from caseflow_scoring.store.standing import standing


class EvaluationIn(BaseModel):
    other: float = Field(ge=0, le=1, description="部门评价和社会评价 (department and public evaluation), 0..1")
    note: str = Field("", max_length=500, description="why; kept in the audit trail")


def add_routes(app: FastAPI, settings: Settings, scoring: Scoring) -> None:
    rules, directory, schemes = scoring.rules, scoring.directory, scoring.schemes

    def _period(name: str, as_of: str | None) -> Period:
        try:
            return period_of(name, as_of)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from exc

    async def document(name: str, as_of: str | None, fresh: bool = False) -> dict[str, Any]:
        _period(name, as_of)  # a wrong period is the caller's 422
        return await period_numbers(PgPeriodSources(app.state.pool), name, as_of, scoring, fresh)

    recent = RecentDocuments(settings.catch_up_records, settings.catch_up_max_age_seconds)

    async def shown(name: str, as_of: str | None, recompute: bool = False) -> dict[str, Any]:
        """What every read route shows: a closed month as closed, else live (period_numbers.served_document);
        while this replica catches up, a live read may be the document of a few seconds ago (catching_up)."""
        _period(name, as_of)  # a wrong period is the caller's 422
        if as_of is not None or recompute:
            return await served_document(PgPeriodSources(app.state.pool), name, as_of, scoring, recompute)
        consumer = getattr(app.state, "consumer", None)
        behind = consumer.records_behind() + consumer.records_recent() if consumer is not None else 0
        sources = PgPeriodSources(app.state.pool)
        return await recent.document(name, lambda: served_document(sources, name, None, scoring), behind)

    recompute_q = Query(False, description="a closed month computed again now instead of as it was closed")

    caller = Depends(api_key_auth(settings))

    operators = Depends(operator_auth(settings))

    @app.get("/v1/periods/{period}", tags=["indicators"],
             summary="every unit's and region's indicators and scores (the replay numbers); a closed month "
                     "is served as closed unless recompute=true")
    async def get_period(period: str, as_of: str | None = Query(None), recompute: bool = recompute_q,
                         who: str = caller) -> Response:
        # orjson straight to bytes: FastAPI's own encoding of a city's month took ~50 ms of the loop's time
        return Response(orjson.dumps(await shown(period, as_of, recompute)), media_type="application/json")

    @app.get("/v1/current/{kind}", tags=["indicators"],
             summary="the current day, month, quarter or year, kept up to date as events arrive")
    async def get_current(kind: Literal["day", "month", "quarter", "year"], who: str = caller) -> dict[str, Any]:
        doc = await standing(app.state.pool, kind)
        if doc is None:
            raise HTTPException(503, f"the current {kind} has not been computed yet; retry in a few seconds",
                                headers={"Retry-After": "2"})
        return doc

    @app.get("/v1/periods/{period}/cases", tags=["indicators"],
             summary="the case states (snapshots) behind a unit's numbers in a period, for audits")
    async def get_period_cases(period: str, unit: str = Query(...), as_of: str | None = Query(None),
                               who: str = caller) -> dict[str, Any]:
        held = [s async for batch in case_batches(app.state.pool, _period(period, as_of), fresh=True)
                for s in batch if any(a.unit == unit for a in s.assignments)]
        return {"unit": unit, "cases": [msgspec.to_builtins(s) for s in held]}  # the snapshot's JSON shape

    @app.get("/v1/months/{period}", tags=["months"], summary="a closed month: its stored document and hash")
    async def get_month(period: str, who: str = caller) -> dict[str, Any]:
        record = await closed_month(app.state.pool, period)
        if record is None:
            raise HTTPException(404, f"{period} is not closed")
        return record

    @app.post("/v1/months/{period}/close", tags=["months"], status_code=201,
              summary="close a month with its audited result (operators only; once)")
    async def post_close(period: str, body: CloseRequest, who: str = operators) -> dict[str, Any]:
        bounds = _period(period, None)
        if bounds.end > wall_clock_ms():
            raise HTTPException(409, f"{period} has not ended yet; close it after its end")
        live = await document(period, None, fresh=True)
        now = wall_clock_ms()
        board = f"{settings.scoring_url.rstrip('/')}/bulletin/{period}" if settings.scoring_url else ""

        def bulletins(doc: dict[str, Any], before: dict[str, Any] | None) -> list[AlertMessage]:
            return [*unit_bulletins(period, doc, before, scoring.directory, scoring.schemes, now,
                                    settings.standing_link),
                    centre_bulletin(period, doc, scoring.directory, scoring.schemes, now, board)]
        # a city feeding a province publishes what it signed (MirrorMaker 2 takes it along with the feed)
        months_topic = settings.topic("closed-months") if settings.province_feed else None
        book = PgMonthBook(app.state.pool, settings.topic("alerts"), months_topic)
        try:
            return await close_month(book, period, body, live, scheme_versions(schemes), code_version(), who,
                                     bulletins)
        except CloseRefused as exc:
            raise HTTPException(exc.status, exc.detail) from exc

    @app.get("/v1/units/{unit}/overdue", tags=["indicators"], summary="a unit's open overdue cases, now")
    async def get_overdue(unit: str, who: str = caller) -> dict[str, Any]:
        return {"unit": unit, "cases": await open_overdue(PgCases(app.state.pool), unit, wall_clock_ms(), rules)}

    @app.get("/v1/units/{unit}/history", tags=["indicators"], summary="one unit's indicators period by period")
    async def get_history(unit: str, periods: str = Query(..., examples=["2026-08,2026-09,2026-10"]),
                          recompute: bool = recompute_q, who: str = caller) -> dict[str, Any]:
        names = [p.strip() for p in periods.split(",") if p.strip()][:24]
        rows = []
        for name in names:
            doc = await shown(name, None, recompute)
            rows.append({"period": name, **doc["units"].get(unit, {}), "closed_month": doc.get("closed")})
        return {"unit": unit, "history": rows}

    @app.put("/v1/evaluations/{period}/{unit}", tags=["scores"],
             summary="enter a unit's manual `other` evaluation (operators only; audited)")
    async def put_other(period: str, unit: str, body: EvaluationIn, who: str = operators) -> dict[str, Any]:
        _period(period, None)
        return await put_evaluation(app.state.pool, period, unit, body.other, body.note, who)

    @app.get("/v1/evaluations/{period}", tags=["scores"], summary="manual evaluations and their audit trail")
    async def get_evaluations(period: str, who: str = caller) -> dict[str, Any]:
        return {"period": period, "current": await manual_inputs(app.state.pool, period),
                "audit": await audit_trail(app.state.pool, period)}

    @app.get("/v1/units/{unit}/indicators", tags=["indicators"], summary="one unit's indicators and scores")
    async def get_unit(unit: str, period: str = Query(..., examples=["2026-10"]), as_of: str | None = Query(None),
                       recompute: bool = recompute_q, who: str = caller) -> dict[str, Any]:
        doc = await shown(period, as_of, recompute)
        if unit not in doc["units"]:
            raise HTTPException(404, f"unit {unit!r} is neither configured nor holds an assignment in {period}")
        return {"period": doc["period"], "unit": unit, **doc["units"][unit], "closed_month": doc.get("closed")}

    @app.get("/v1/regions", tags=["indicators"], summary="region indicators")
    async def get_regions(period: str = Query(...), as_of: str | None = Query(None), recompute: bool = recompute_q,
                          who: str = caller) -> dict[str, Any]:
        doc = await shown(period, as_of, recompute)
        return {"period": doc["period"], "regions": doc["regions"], "closed_month": doc.get("closed")}

    @app.get("/v1/listings/{scheme}", tags=["scores"],
             summary="a listing scheme (city-department, zhejiang-region, yuhang-2019): each unit's or region's "
                     "indicators, targets, pass/fail, 试运行; a closed month as it was closed")
    async def get_listing(scheme: str, period: str = Query(..., examples=["2026-10"]),
                          as_of: str | None = Query(None), recompute: bool = recompute_q,
                          who: str = caller) -> dict[str, Any]:
        listed = sorted(s for s, v in schemes.items() if v.kind in LISTING_KINDS)
        if scheme not in listed:
            raise HTTPException(404, f"no listing scheme {scheme!r}; known: {', '.join(listed)}")
        doc = await shown(period, as_of, recompute)
        listing = (doc.get("listings") or {}).get(scheme)
        if listing is None:
            raise HTTPException(404, f"{period} was closed before listings were kept; ask with recompute=true")
        return {"period": doc["period"], "scheme": scheme, **listing, "closed_month": doc.get("closed")}

    @app.get("/v1/scoreboard/{scheme}", tags=["scores"],
             summary="a scheme's ranking (per class or across all), or an assessment template's totals")
    async def get_scoreboard(scheme: str, period: str = Query(...), as_of: str | None = Query(None),
                             recompute: bool = recompute_q, who: str = caller) -> dict[str, Any]:
        if scheme in scoring.templates:
            return assessment_board(scheme, await shown(period, as_of, recompute), directory)
        if scheme not in schemes or schemes[scheme].kind != "unit_score":
            known = sorted(s for s, v in schemes.items() if v.kind == "unit_score")
            raise HTTPException(404, f"no scoring scheme or assessment template {scheme!r}; schemes: "
                                     f"{', '.join(known)}; templates: {', '.join(sorted(scoring.templates))}")
        doc = await shown(period, as_of, recompute)
        rows = [{"unit": u, "class": directory.unit_class.get(u), **e["scores"][scheme]}
                for u, e in doc["units"].items() if scheme in e["scores"]]
        rows.sort(key=lambda r: (r["class"] or 9 if schemes[scheme].rank_within == "class" else 0,
                                 r["rank"] or 10**9, r["unit"]))
        return {"period": doc["period"], "scheme": scheme, "rank_within": schemes[scheme].rank_within,
                "rows": rows, "closed_month": doc.get("closed")}


def assessment_board(template: str, doc: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """A template's totals ranked as the template says, as the period document has them."""
    section = (doc.get("assessments") or {}).get(template)
    if section is None:
        raise HTTPException(404, f"no {template!r} assessment for this period (the template assesses other "
                                 "periods, or the month was closed before assessments were kept)")
    return {"period": doc["period"], "template": template, "on": section["on"],
            "rank_within": section.get("rank_within", "all"),
            "rows": ranked_rows(section, directory.names, directory.unit_class), "closed_month": doc.get("closed")}
