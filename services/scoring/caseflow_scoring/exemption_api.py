"""scoring's exemption routes (核减, rules §4a): a unit applies with its own token, an approver decides,
anyone with a key reads a period's applications (a unit its own), auditors export them for
`caseflow replay --exemptions`, and every change behind an application is shown."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec
from fastapi import Depends, FastAPI, HTTPException, Query, Response
from pydantic import BaseModel, Field

from caseflow.domain.assessment_records import Actor, Refusal
from caseflow.domain.exemption_requests import Application
from caseflow.domain.indicators import Period
from caseflow.evaluation.periods import PeriodError, month_bounds, parse_instant
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI, from_ms, iso
from caseflow_scoring.exempting import UnknownApplication, Window, apply_on_request, candidates, decide_on_request
from caseflow_scoring.people_api import People, actor_dependency, keys_only, own_only
from caseflow_scoring.store import exemptions as store
from caseflow_scoring.store.cases import PgCases
from caseflow_scoring.store.exemptions import PgExemptionLedgers


class ApplicationIn(BaseModel):
    case_id: str = Field(min_length=1, max_length=200)
    unit_id: str = Field(min_length=1, max_length=200)
    dispatched_at: str = Field(description="the assignment's dispatch instant, ISO-8601 with its offset "
                                           "(as in the period's cases), e.g. 2026-10-08T09:30:00+08:00")
    kind: str = Field(description="exclude (案件核减) | on_time (超期核减) | rework (返工核减)")
    reason: str = Field(description="a code of GET /v1/exemption-reasons")
    text: str = Field("", max_length=5000)
    files: list[str] = Field(default_factory=list, max_length=50, description="hashes of uploaded evidence files")


class DecisionIn(BaseModel):
    why: str = Field("", max_length=2000)


def application_json(a: Application) -> dict[str, Any]:
    """An application as the export and the API show it: instants in ISO-8601 with their offset."""
    out: dict[str, Any] = msgspec.to_builtins(a)
    out["dispatched_at"] = iso(a.dispatched_at)
    out["applied_at"] = iso(a.applied_at)
    out["decided_at"] = iso(a.decided_at) if a.decided_at is not None else None
    out["history"] = [{**c, "at": iso(c["at"])} for c in out["history"]]
    return out


def _place(found: tuple[object, dict[str, str]] | None) -> dict[str, str]:
    """The case's address and description, for whoever decides (the case's facts)."""
    return {k: v for k, v in (found[1] if found else {}).items() if k in ("address", "description")}


def _own(actor: Actor, unit: str | None) -> str | None:
    """The unit a read is about: a unit's token reads its own (403 for another's); a key, the one asked."""
    if actor.role != "unit":
        return unit
    if unit is not None:
        own_only(actor, unit)
    return actor.unit


def _refused(refusal: Refusal) -> HTTPException:
    return HTTPException(403 if refusal.forbidden else 409, refusal.reason)


def add_exemption_routes(app: FastAPI, settings: Settings, window: Window, people: People) -> None:
    who = Depends(actor_dependency(people))
    reasons = settings.exemption_reason_map()

    def checked_period(period: str) -> str:
        try:
            month_bounds(period)
        except PeriodError as exc:
            raise HTTPException(422, f"{exc} (exemptions are kept by month: yyyy-mm)") from exc
        return period

    @app.get("/v1/exemption-reasons", tags=["exemptions"], summary="the reasons a unit may give, and the window")
    async def list_reasons(period: str | None = Query(None, examples=["2026-10"]),
                           actor: Actor = who) -> dict[str, Any]:
        out: dict[str, Any] = {"reasons": [{"code": c, "label": label} for c, label in reasons.items()],
                               "working_days": window.working_days}
        if period is not None:
            out["closes_at"] = iso(window.closes_at(checked_period(period)))
        return out

    @app.post("/v1/exemptions", tags=["exemptions"], status_code=201,
              summary="apply for an exemption of one of your assignments (the unit's token)")
    async def new_application(body: ApplicationIn, actor: Actor = who) -> dict[str, Any]:
        try:
            at = parse_instant(body.dispatched_at, "dispatched_at")
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from exc
        period = from_ms(at).astimezone(SHANGHAI).strftime("%Y-%m")
        draft = Application(uuid.uuid4().hex[:16], period, body.case_id, body.unit_id, at, body.kind, body.reason,
                            "", 0, body.text, tuple(body.files))
        made = await apply_on_request(PgExemptionLedgers(app.state.pool), draft, actor, int(time.time() * 1000),
                                      window, reasons)
        if isinstance(made, Refusal):
            raise HTTPException(403 if made.forbidden else 422, made.reason)
        return application_json(made)

    @app.post("/v1/exemption-applications/{application_id}/{action}", tags=["exemptions"],
              summary="approve or reject an application, with why (an approver's key)")
    async def decide_application(application_id: str, action: str, body: DecisionIn,
                                 actor: Actor = who) -> dict[str, Any]:
        try:
            decided = await decide_on_request(PgExemptionLedgers(app.state.pool, settings.topic("alerts")),
                                              application_id, action, actor, body.why, int(time.time() * 1000),
                                              settings.standing_link)
        except UnknownApplication as exc:
            raise HTTPException(404, f"no exemption application {application_id!r}") from exc
        if isinstance(decided, Refusal):
            raise _refused(decided)
        return application_json(decided)

    @app.get("/v1/exemptions/{period}", tags=["exemptions"],
             summary="a month's applications and their states (a unit's token: its own)")
    async def list_applications(period: str, unit: str | None = Query(None), actor: Actor = who) -> dict[str, Any]:
        unit = _own(actor, unit)
        found = await store.applications_of(app.state.pool, checked_period(period), unit)
        facts = await PgCases(app.state.pool).with_facts(sorted({a.case_id for a in found}))
        return {"period": period, "closes_at": iso(window.closes_at(period)),
                "exemptions": [{**application_json(a), "case": _place(facts.get(a.case_id))} for a in found]}

    @app.get("/v1/exemptions/{period}/candidates", tags=["exemptions"],
             summary="the unit's assignments of the month that cost it points (what it may apply for)")
    async def list_candidates(period: str, unit: str | None = Query(None), actor: Actor = who) -> dict[str, Any]:
        unit = _own(actor, unit)
        if not unit:
            raise HTTPException(422, "say which unit: ?unit=U-...")
        start, end = month_bounds(checked_period(period))
        found = await candidates(PgCases(app.state.pool), Period(start, end, end), unit)
        return {"period": period, "unit": unit, "closes_at": iso(window.closes_at(period)), "assignments": found}

    @app.get("/v1/exemptions/{period}/export", tags=["exemptions"],
             summary="every application of a month, for `caseflow replay --exemptions FILE` (auditors)")
    async def export(period: str, actor: Actor = who) -> Response:
        keys_only(actor, "exports are for assessors and auditors")
        found = await store.applications_of(app.state.pool, checked_period(period))
        body = {"period": period, "exported_at": iso(int(time.time() * 1000)),
                "exemptions": [application_json(a) for a in found]}
        return Response(msgspec.json.encode(body), media_type="application/json")

    @app.get("/v1/exemption-applications/{application_id}/changes", tags=["exemptions"],
             summary="every change to an application: who, when, old, new, why")
    async def application_changes(application_id: str, actor: Actor = who) -> dict[str, Any]:
        unit = await store.unit_of(app.state.pool, application_id)
        if unit is None:
            raise HTTPException(404, f"no exemption application {application_id!r}")
        own_only(actor, unit)
        return {"application": application_id, "changes": await store.changes_of(app.state.pool, application_id)}
