"""notify's HTTP API: a unit's alerts and live feed (its own token), acknowledgements, silences
(operators, with who and why), deliveries and their attempts."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Cookie, Depends, FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field

from caseflow.access.sessions import UNIT_COOKIE
from caseflow.contract.alert_schema import AlertModel
from caseflow.infra.http import api_key_auth, changer_auth, operator_auth
from caseflow.infra.settings import Settings
from caseflow.infra.unit_access import UnitAccess
from caseflow_notify.feed import alert_stream, check_unit
from caseflow_notify.store import inbox, silences


class SilenceIn(BaseModel):
    unit: str = Field(min_length=1)
    case_id: str | None = Field(None, description="mute one case; omit to mute the whole unit")
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)


def add_routes(app: FastAPI, settings: Settings) -> None:
    caller = Depends(api_key_auth(settings))
    operator = Depends(operator_auth(settings))
    access = UnitAccess.of(settings)

    @app.get("/v1/schemas/alert", tags=["alerts"], summary="the JSON Schema of an alert (contract alert.v1), "
             "what a webhook receives")
    async def alert_schema() -> dict[str, Any]:
        return AlertModel.model_json_schema(by_alias=True)

    @app.get("/v1/units/{unit}/alerts", tags=["alerts"], summary="alerts received for a unit, newest first")
    async def unit_alerts(unit: str, limit: int = 100, who: str = caller) -> dict[str, Any]:
        rows = await inbox.unit_alerts(app.state.pool, unit, min(max(limit, 1), 1000))
        return {"unit": unit, "alerts": [{**orjson.loads(r["body"]), "received_at": r["received_at"].isoformat(),
                                          "acked_by": r["acked_by"]} for r in rows]}

    @app.get("/v1/units/{unit}/feed", tags=["alerts"], summary="live feed (SSE) of a unit's alerts")
    async def feed(unit: str, authorization: str | None = Header(None),
                   caseflow_unit: str | None = Cookie(None, alias=UNIT_COOKIE)) -> StreamingResponse:
        await check_unit(access, app.state.pool, unit, authorization, caseflow_unit)
        return StreamingResponse(alert_stream(app.state.pool, unit), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    @app.post("/v1/alerts/{alert_id}/ack", tags=["alerts"], summary="acknowledge an alert (unit token or key)")
    async def ack(alert_id: str, authorization: str | None = Header(None), x_api_key: str | None = Header(None),
                  caseflow_unit: str | None = Cookie(None, alias=UNIT_COOKIE)) -> dict[str, Any]:
        unit = await inbox.unit_of(app.state.pool, alert_id)
        if unit is None:
            raise HTTPException(404, f"no alert {alert_id!r}")
        if x_api_key:
            who = changer_auth(settings)(who=api_key_auth(settings)(x_api_key=x_api_key))
        else:
            await check_unit(access, app.state.pool, unit, authorization, caseflow_unit)
            who = f"unit:{unit}"
        await inbox.acknowledge(app.state.pool, alert_id, who)
        return {"alert_id": alert_id, "acked_by": who}

    @app.post("/v1/silences", tags=["silences"], summary="mute a unit or a case until a time (operators)")
    async def add_silence(body: SilenceIn, who: str = operator) -> dict[str, Any]:
        silence_id = await silences.add(app.state.pool, body.unit, body.case_id, body.until, who, body.reason)
        return {"id": silence_id, **body.model_dump(mode="json"), "created_by": who}

    @app.get("/v1/silences", tags=["silences"], summary="silences in force")
    async def list_silences(who: str = caller) -> dict[str, Any]:
        return {"silences": await silences.in_force(app.state.pool)}

    @app.delete("/v1/silences/{silence_id}", tags=["silences"], summary="end a silence now (operators)")
    async def end_silence(silence_id: int, who: str = operator) -> dict[str, Any]:
        if not await silences.end(app.state.pool, silence_id):
            raise HTTPException(404, f"no silence {silence_id}")
        return {"id": silence_id, "ended_by": who}

    @app.get("/v1/deliveries", tags=["alerts"], summary="deliveries and their attempts, by unit or case")
    async def deliveries(unit: str | None = None, case_id: str | None = None, who: str = caller) -> dict[str, Any]:
        if not unit and not case_id:
            raise HTTPException(422, "give unit=… or case_id=…")
        return {"deliveries": await inbox.deliveries_of(app.state.pool, unit, case_id)}
