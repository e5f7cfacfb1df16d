"""Dispatch's PostgreSQL adapter: the CaseStore on one connection inside the batch's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import orjson

from caseflow.contract import snapshot
from caseflow.contract.mapping import from_ms
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.state import CaseState

OUTBOX_SOURCE = "caseflow-dispatch"  # the consumer group: its relay sends these rows


class PostgresCaseStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def is_known(self, event_id: str) -> bool:
        return bool(await self.conn.fetchval("SELECT 1 FROM dispatch_events WHERE event_id = $1", event_id))

    async def events_of(self, case_id: str) -> list[tuple[int, bytes]]:
        rows = await self.conn.fetch(
            "SELECT arrival, raw FROM dispatch_events WHERE case_id = $1 ORDER BY arrival", case_id)
        return [(r["arrival"], bytes(r["raw"])) for r in rows]

    async def append(self, case_id: str, arrival: int, event_id: str, raw: bytes) -> None:
        await self.conn.execute(
            "INSERT INTO dispatch_events (case_id, arrival, event_id, raw) VALUES ($1, $2, $3, $4)",
            case_id, arrival, event_id, raw)

    async def save_snapshot(self, state: CaseState) -> bytes:
        version = await self.conn.fetchval(
            "INSERT INTO dispatch_cases (case_id, version, snapshot) VALUES ($1, 1, '{}') "
            "ON CONFLICT (case_id) DO UPDATE SET version = dispatch_cases.version + 1, updated_at = now() "
            "RETURNING version", state.case_id)
        message = snapshot.encode(state, version)
        await self.conn.execute("UPDATE dispatch_cases SET snapshot = $2::jsonb WHERE case_id = $1",
                                state.case_id, message.decode())
        return message

    async def set_rejections(self, case_id: str, rejections: Sequence[Rejection]) -> None:
        await self.conn.execute("DELETE FROM dispatch_rejections WHERE case_id = $1", case_id)
        if rejections:
            await self.conn.executemany(
                "INSERT INTO dispatch_rejections (event_id, case_id, occurred_at, reason, detail) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
                [(r.event_id, r.case_id, from_ms(r.at), r.reason, r.detail) for r in rejections])

    async def emit(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        await self.conn.execute(
            "INSERT INTO outbox (source, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5::jsonb)",
            OUTBOX_SOURCE, topic, key, value, orjson.dumps(headers).decode())
