"""The live alert feed: Server-Sent Events of a unit's alerts, and who may read a unit's feeds and boards."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
from fastapi import HTTPException

from caseflow.infra.unit_access import UnitAccess
from caseflow_notify.store import inbox


def bearer(authorization: str | None) -> str | None:
    return authorization[7:] if authorization and authorization.startswith("Bearer ") else None


async def check_unit_token(access: UnitAccess, pool: asyncpg.Pool, unit: str, presented: str | None) -> None:
    """The unit's own token, or a link token of this unit that is unexpired and not revoked."""
    if not presented:
        raise HTTPException(401, "missing the unit's token (Authorization: Bearer …)")
    if await access.unit_of(pool, presented, int(time.time())) != unit:
        raise HTTPException(403, "this token does not belong to this unit (or the link expired or was revoked)")


async def check_unit(access: UnitAccess, pool: asyncpg.Pool, unit: str, authorization: str | None,
                     session: str | None) -> None:
    """The unit's token in the Authorization header, or the unit's session cookie (the page signed in
    once with POST /v1/units/{unit}/board/session): never a token in the URL."""
    if authorization or not session:
        if not authorization:
            raise HTTPException(401, f"sign in: the unit's token as Authorization: Bearer …, or once through the "
                                     f"board's form (POST /v1/units/{unit}/board/session) for a cookie")
        await check_unit_token(access, pool, unit, bearer(authorization))
        return
    if await access.unit_of_session(pool, session, int(time.time())) != unit:
        raise HTTPException(403, "this session is not this unit's (or it ended, or its link was revoked): "
                                 "sign in again")


async def alert_stream(pool: asyncpg.Pool, unit: str, backlog: int = 50, poll: float = 0.3) -> AsyncIterator[bytes]:
    """The unit's latest alerts, then every new one as it arrives (SSE frames)."""
    rows = await inbox.latest(pool, unit, backlog)
    seen = {r["alert_id"] for r in rows}
    since: datetime | None = rows[0]["received_at"] if rows else None
    for row in reversed(rows):
        yield b"event: alert\ndata: " + row["body"].encode() + b"\n\n"
    yield b": ready\n\n"
    while True:
        await asyncio.sleep(poll)
        fresh = await inbox.received_since(pool, unit, since)
        sent = 0
        for row in fresh:
            if row["alert_id"] in seen:
                continue
            seen.add(row["alert_id"])
            since = max(since, row["received_at"]) if since else row["received_at"]
            sent += 1
            yield b"event: alert\ndata: " + row["body"].encode() + b"\n\n"
        if not sent:
            yield b": keep-alive\n\n"
