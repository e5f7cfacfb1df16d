"""The live alert feed: Server-Sent Events of a unit's alerts (the unit's own token)."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
from fastapi import HTTPException

from caseflow.infra.settings import Settings
from caseflow_notify.store import inbox


def check_unit_token(settings: Settings, unit: str, presented: str | None) -> None:
    expected = settings.unit_token_map().get(unit)
    if not presented:
        raise HTTPException(401, "missing the unit's token (Authorization: Bearer … or ?token=…)")
    if expected is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(403, "this token does not belong to this unit")


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
