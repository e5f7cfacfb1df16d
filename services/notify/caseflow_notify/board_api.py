"""The boards over HTTP: a unit's open cases (its own token), every unit's (an operator key), both as
JSON and as a live SSE feed that pushes the board whenever a snapshot, alert or acknowledgement
changes it; acknowledging a case (unit token) stops its escalation; the pages themselves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import orjson
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from caseflow.access.sessions import COOKIE, LIFETIME_S, UNIT_COOKIE, session_holder, session_value
from caseflow.infra.http import api_key_auth, changer_auth, operator_auth, presented_secret
from caseflow.infra.settings import Settings
from caseflow.infra.unit_access import UnitAccess
from caseflow_notify.board_page import WALL_PAGE, board_page
from caseflow_notify.board_view import board, wall_view
from caseflow_notify.feed import bearer, check_unit, check_unit_token
from caseflow_notify.store.board import acknowledge_case, changed_at
from caseflow_notify.store.inbox import has_case


def _now_ms() -> int:
    return int(time.time() * 1000)


async def board_stream(load: Callable[[], Awaitable[dict[str, Any]]], version: Callable[[], Awaitable[Any]],
                       now_ms: Callable[[], int] = _now_ms, poll: float = 0.5, keep_alive: float = 15.0
                       ) -> AsyncIterator[bytes]:
    """The board now, then again whenever it changed or a light on it turned (checked every `poll` seconds):
    the page shows the order and the lights it is sent and only runs the clocks."""
    seen = await version()
    shown = await load()
    yield b"event: board\ndata: " + orjson.dumps(shown) + b"\n\n"
    quiet = 0.0
    while True:
        await asyncio.sleep(poll)
        now = await version()
        turned = shown.get("next_change_ms") is not None and now_ms() >= shown["next_change_ms"]
        if now != seen or turned:
            seen, quiet = now, 0.0
            shown = await load()
            yield b"event: board\ndata: " + orjson.dumps(shown) + b"\n\n"
        else:
            quiet += poll
            if quiet >= keep_alive:
                quiet = 0.0
                yield b": keep-alive\n\n"


Order = Literal["urgency", "risk"]


def add_board_routes(app: FastAPI, settings: Settings, names: dict[str, str],
                     region_names: dict[str, str] | None = None) -> None:
    operator = Depends(operator_auth(settings))
    operator_check = operator_auth(settings)
    authenticate = api_key_auth(settings)
    changer = changer_auth(settings)  # acknowledging changes something: not a reader's

    keys_by_name = {name: key for key, name in settings.keys().items()}
    access = UnitAccess.of(settings)
    operators = settings.names("operators")

    def session_of(request: Request) -> str | None:
        name = session_holder(request.cookies.get(COOKIE), keys_by_name, int(time.time()))
        return name if name in operators else None

    async def unit_or_key(request: Request, unit: str, authorization: str | None, x_api_key: str | None,
                          changing: bool = False) -> str:
        """A key (an acknowledgement: not a reader's), the unit's token, the unit's session cookie, or for
        an acknowledgement from the centre's board its operator's cookie."""
        if x_api_key:
            who = authenticate(x_api_key=x_api_key)
            return changer(who=who) if changing else who
        unit_session = request.cookies.get(UNIT_COOKIE)
        # from the centre's board its operator's cookie acknowledges (a cookie of this unit says the unit did)
        if (changing and not authorization and (name := session_of(request))
                and await access.unit_of_session(app.state.pool, unit_session, int(time.time())) != unit):
            return name
        await check_unit(access, app.state.pool, unit, authorization, unit_session)
        return f"unit:{unit}"

    @app.post("/v1/units/{unit}/board/session", tags=["board"],
              summary="sign in to a unit's board: its token or a link token (header) for an HttpOnly cookie")
    async def open_unit_session(unit: str, response: Response, authorization: str | None = Header(None)
                                ) -> dict[str, Any]:
        await check_unit_token(access, app.state.pool, unit, bearer(authorization))
        value, max_age = access.session_for(bearer(authorization) or "", unit, int(time.time()))
        response.set_cookie(UNIT_COOKIE, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                            secure=settings.public_url.startswith("https://"))
        return {"unit": unit, "expires_in_s": max_age}

    @app.get("/v1/units/{unit}/board/session", tags=["board"],
             summary="whether the unit's cookie still signs in this unit (401/403: sign in again)")
    async def read_unit_session(unit: str, request: Request) -> dict[str, Any]:
        await check_unit(access, app.state.pool, unit, None, request.cookies.get(UNIT_COOKIE))
        return {"unit": unit}

    @app.get("/v1/units/{unit}/board", tags=["board"],
             summary="a unit's open cases, most urgent first (order=risk: overdue, then the highest overdue risk)")
    async def unit_board(request: Request, unit: str, authorization: str | None = Header(None),
                         x_api_key: str | None = Header(None), order: Order = "urgency") -> dict[str, Any]:
        await unit_or_key(request, unit, authorization, x_api_key)
        return await board(app.state.pool, unit, _now_ms(), names, order)

    @app.get("/v1/units/{unit}/board/feed", tags=["board"], summary="the unit's board, pushed on every change (SSE)")
    async def unit_board_feed(request: Request, unit: str, authorization: str | None = Header(None),
                              order: Order = "urgency") -> StreamingResponse:
        await unit_or_key(request, unit, authorization, None)
        stream = board_stream(lambda: board(app.state.pool, unit, _now_ms(), names, order),
                              lambda: changed_at(app.state.pool, unit))
        return StreamingResponse(stream, media_type="text/event-stream", headers={"cache-control": "no-cache"})

    @app.get("/v1/board", tags=["board"], summary="every unit's open cases (operators); unit= filters")
    async def centre_board(unit: str | None = Query(None), who: str = operator, order: Order = "urgency"
                           ) -> dict[str, Any]:
        return await board(app.state.pool, unit or None, _now_ms(), names, order)

    @app.post("/v1/board/session", tags=["board"],
              summary="sign in to the centre's board: the operator key (header) for an HttpOnly cookie")
    async def open_session(response: Response, who: str = operator, x_api_key: str | None = Header(None),
                           authorization: str | None = Header(None)) -> dict[str, Any]:
        key = presented_secret(authorization, x_api_key) or ""
        value = session_value(key, who, int(time.time()))
        response.set_cookie(COOKIE, value, max_age=LIFETIME_S, httponly=True, samesite="strict", path="/",
                            secure=settings.public_url.startswith("https://"))
        return {"operator": who, "expires_in_s": LIFETIME_S}

    @app.get("/v1/board/session", tags=["board"], summary="who the board's cookie signs in (401: sign in again)")
    async def read_session(request: Request) -> dict[str, Any]:
        name = session_of(request)
        if name is None:
            raise HTTPException(401, "not signed in to the board (or the session ended): sign in with the key")
        return {"operator": name}

    @app.delete("/v1/board/session", tags=["board"], summary="sign out of the centre's board")
    async def close_session(response: Response) -> dict[str, Any]:
        response.delete_cookie(COOKIE, path="/")
        return {"signed_out": True}

    @app.get("/v1/board/feed", tags=["board"], summary="the command centre's board, pushed on every change (SSE)")
    async def centre_board_feed(request: Request, unit: str | None = Query(None), order: Order = "urgency",
                                x_api_key: str | None = Header(None)) -> StreamingResponse:
        if x_api_key:
            operator_check(who=authenticate(x_api_key=x_api_key))
        elif session_of(request) is None:
            raise HTTPException(401, "sign in to the board first (POST /v1/board/session with the operator key); "
                                     "an operator key never goes in the URL")
        stream = board_stream(lambda: board(app.state.pool, unit or None, _now_ms(), names, order),
                              lambda: changed_at(app.state.pool, unit or None))
        return StreamingResponse(stream, media_type="text/event-stream", headers={"cache-control": "no-cache"})

    @app.post("/v1/units/{unit}/cases/{case_id}/ack", tags=["board"],
              summary="acknowledge a case's alerts (the unit's token or a key): its escalation stops")
    async def ack_case(request: Request, unit: str, case_id: str, authorization: str | None = Header(None),
                       x_api_key: str | None = Header(None)) -> dict[str, Any]:
        who = await unit_or_key(request, unit, authorization, x_api_key, changing=True)
        acked = await acknowledge_case(app.state.pool, unit, case_id, who)
        if not acked and not await has_case(app.state.pool, unit, case_id):
            raise HTTPException(404, f"unit {unit!r} has no alert for case {case_id!r} to acknowledge")
        return {"unit": unit, "case_id": case_id, "acknowledged": acked, "by": who}

    @app.get("/units/{unit}", response_class=HTMLResponse, tags=["board"], summary="a unit's board (中文, live)")
    async def unit_page(unit: str) -> HTMLResponse:
        return HTMLResponse(board_page(unit, names.get(unit, unit)))  # no data: the feed needs a sign-in

    @app.get("/v1/board/wall", tags=["board"], summary="the centre's wall: units and regions ranked by overdue, "
             "today's figures, cases past level 2 (the board's cookie or an operator key)")
    async def centre_wall(request: Request, x_api_key: str | None = Header(None)) -> dict[str, Any]:
        if x_api_key:
            operator_check(who=authenticate(x_api_key=x_api_key))
        elif session_of(request) is None:
            raise HTTPException(401, "sign in to the board first (POST /v1/board/session with the operator key)")
        return await wall_view(app.state.pool, _now_ms(), names, region_names or {})

    @app.get("/", include_in_schema=False)
    async def front() -> RedirectResponse:  # the service's address opens the centre's board
        return RedirectResponse("/board")

    @app.get("/board/wall", response_class=HTMLResponse, tags=["board"],
             summary="the centre's wall view for the big screen (1920 x 1080; signed in on /board)")
    async def wall_page() -> HTMLResponse:
        return HTMLResponse(WALL_PAGE)

    @app.get("/board", response_class=HTMLResponse, tags=["board"], summary="the command centre's board")
    async def centre_page() -> HTMLResponse:
        return HTMLResponse(board_page(None, "指挥中心", sorted(names.items())))
