"""Intake's HTTP API: POST events (JSON object, array, or NDJSON), authenticated, answered per event."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import orjson
from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from caseflow.contract import v1
from caseflow.infra.http import changer_auth, service_app
from caseflow.infra.metrics import INTAKE_VERDICTS
from caseflow.infra.settings import Settings
from caseflow_intake.accept import accept_events
from caseflow_intake.ports import AcceptedIds, EventBus

EXAMPLE = {
    "event_id": "e-0004", "case_id": "YH-2026-100231", "type": "dispatched",
    "occurred_at": "2026-11-02T09:31:00+08:00",
    "data": {"unit": "U-HW-LP", "time_limit": {"value": 4, "unit": "working_hours"}},
}
VERDICTS_EXAMPLE = {"accepted": 1, "duplicates": 0, "rejected": 1, "results": [
    {"index": 0, "status": "accepted", "event_id": "e-0004"},
    {"index": 1, "status": "rejected", "event_id": "e-0005", "field": "data.unit", "reason": "Field required"}]}


def _raw(item: Any) -> bytes:
    if isinstance(item, bytes):
        return item
    return item.encode() if isinstance(item, str) else orjson.dumps(item)


def create_app(settings: Settings, lifespan: Any = None) -> FastAPI:
    """The API. Its lifespan puts `bus` (EventBus), `ids` (AcceptedIds) and `ready` on app.state."""
    app = service_app("intake", lifespan,
                      "Accepts the dispatch platform's case lifecycle events (contract v1) and puts valid ones "
                      "on Kafka keyed by case. Every event gets its own verdict.")
    caller = Depends(changer_auth(settings))  # the platform's keys; a reader sends nothing

    async def body_of(request: Request) -> bytes:
        declared = int(request.headers.get("content-length") or 0)
        if declared > settings.max_body_bytes:
            raise HTTPException(413, f"body of {declared} bytes exceeds the limit of {settings.max_body_bytes}; "
                                     "split the batch")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise HTTPException(413, f"body exceeds the limit of {settings.max_body_bytes} bytes; split the batch")
        return bytes(body)

    async def answer(items: list[Any], request: Request, who: str) -> JSONResponse:
        if not items:
            raise HTTPException(422, "no events in the body")
        if len(items) > settings.max_batch_events:
            raise HTTPException(413, f"{len(items)} events exceed the batch limit of {settings.max_batch_events}; "
                                     "split the batch")
        bus: EventBus = request.app.state.bus
        ids: AcceptedIds = request.app.state.ids
        try:
            verdicts = await asyncio.wait_for(accept_events(items, bus, ids), settings.intake_store_timeout)
            # Rejected messages are answered *and* kept, with the reason, for whoever fixes the sender.
            await asyncio.wait_for(bus.dead_letter([
                (_raw(items[v.index]), {"reason": v.reason or "invalid", "field": v.field or "",
                                        "source": f"http/{who}"})
                for v in verdicts if v.status == "rejected"]), settings.intake_store_timeout)
        except (TimeoutError, KafkaError, asyncpg.PostgresError, OSError) as exc:
            # Nothing in this request was acknowledged: the platform keeps it and sends it again.
            raise HTTPException(503, f"cannot store events right now ({type(exc).__name__}); retry later",
                                headers={"Retry-After": "5"}) from exc
        counts = {s: sum(v.status == s for v in verdicts) for s in ("accepted", "duplicate", "rejected")}
        for verdict, n in counts.items():
            INTAKE_VERDICTS.labels(verdict).inc(n)
        status = 422 if counts["rejected"] == len(verdicts) else 207 if counts["rejected"] else 200
        return JSONResponse(
            {"accepted": counts["accepted"], "duplicates": counts["duplicate"], "rejected": counts["rejected"],
             "results": [v.as_json() for v in verdicts]}, status_code=status)

    @app.post("/v1/events", tags=["events"], summary="Submit one event or a JSON array of events",
              responses={200: {"description": "all accepted or duplicates", "content": {"application/json": {
                  "example": VERDICTS_EXAMPLE}}},
                         207: {"description": "some events rejected; see results"},
                         401: {"description": "missing or unknown API key"},
                         413: {"description": "body or batch too large"},
                         422: {"description": "nothing in the request was valid"}},
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"oneOf": [{"$ref": "#/components/schemas/CaseEvent"},
                                       {"type": "array", "items": {"$ref": "#/components/schemas/CaseEvent"}}]},
                  "example": EXAMPLE}}}})
    async def post_events(request: Request, who: str = caller) -> JSONResponse:
        body = await body_of(request)
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(422, f"body is not JSON: {exc}") from exc
        return await answer(parsed if isinstance(parsed, list) else [parsed], request, who)

    @app.post("/v1/events:ndjson", tags=["events"], summary="Submit newline-delimited events (bulk resend)",
              responses={207: {"description": "some lines rejected"}, 413: {"description": "too large"},
                         422: {"description": "nothing valid"}},
              openapi_extra={"requestBody": {"required": True, "content": {"application/x-ndjson": {
                  "schema": {"type": "string"}, "example": orjson.dumps(EXAMPLE).decode() + "\n"}}}})
    async def post_ndjson(request: Request, who: str = caller) -> JSONResponse:
        body = await body_of(request)
        return await answer([line for line in body.split(b"\n") if line.strip()], request, who)

    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        event_schema = TypeAdapter(v1.EventV1).json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(event_schema.pop("$defs", {}))
        components["CaseEvent"] = {**event_schema, "examples": [EXAMPLE]}
        schema["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app

