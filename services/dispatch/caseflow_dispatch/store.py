"""Dispatch's PostgreSQL adapter: the CaseStore on one connection inside the batch's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from caseflow.contract import snapshot
from caseflow.contract.enums import SUPERVISION_REASON_ZH
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.state import CaseState, Supervision
from caseflow.infra import outbox
from caseflow.instants import from_ms, iso
from caseflow_dispatch.ports import Outgoing

OUTBOX_SOURCE = "caseflow-dispatch"  # the consumer group: its relay sends these rows


class PostgresCaseStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def known_ids(self, event_ids: Sequence[str]) -> set[str]:
        rows = await self.conn.fetch("SELECT event_id FROM dispatch_events WHERE event_id = ANY($1::text[])",
                                     list(event_ids))
        return {r["event_id"] for r in rows}

    async def events_of(self, case_ids: Sequence[str]) -> dict[str, list[tuple[int, bytes]]]:
        rows = await self.conn.fetch(
            "SELECT case_id, arrival, raw FROM dispatch_events WHERE case_id = ANY($1::text[]) "
            "ORDER BY case_id, arrival", list(case_ids))
        out: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        for r in rows:
            out[r["case_id"]].append((r["arrival"], bytes(r["raw"])))
        return {c: out.get(c, []) for c in case_ids}

    async def append(self, rows: Sequence[tuple[str, int, str, bytes]]) -> None:
        if rows:
            await self.conn.copy_records_to_table("dispatch_events", records=list(rows),
                                                  columns=["case_id", "arrival", "event_id", "raw"])

    async def save_snapshots(self, states: Sequence[CaseState], facts: Mapping[str, dict[str, str]]) -> list[bytes]:
        if not states:
            return []
        rows = await self.conn.fetch(
            "INSERT INTO dispatch_cases (case_id, version, snapshot) SELECT c, 1, '{}' FROM unnest($1::text[]) c "
            "ON CONFLICT (case_id) DO UPDATE SET version = dispatch_cases.version + 1, updated_at = now() "
            "RETURNING case_id, version", [s.case_id for s in states])
        versions = {r["case_id"]: r["version"] for r in rows}
        messages = [snapshot.encode(s, versions[s.case_id], facts.get(s.case_id)) for s in states]
        await self.conn.execute(
            "UPDATE dispatch_cases d SET snapshot = u.s::jsonb FROM unnest($1::text[], $2::text[]) u(c, s) "
            "WHERE d.case_id = u.c", [s.case_id for s in states], [m.decode() for m in messages])
        return messages

    async def set_rejections(self, rejections: Mapping[str, Sequence[Rejection]]) -> None:
        if not rejections:
            return
        await self.conn.execute("DELETE FROM dispatch_rejections WHERE case_id = ANY($1::text[])", list(rejections))
        rows = [(r.event_id, r.case_id, from_ms(r.at), r.reason, r.detail) for rs in rejections.values() for r in rs]
        if rows:
            await self.conn.executemany(
                "INSERT INTO dispatch_rejections (event_id, case_id, occurred_at, reason, detail) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING", rows)

    async def emit(self, messages: Sequence[Outgoing]) -> None:
        await outbox.enqueue(self.conn, OUTBOX_SOURCE, messages)


async def case_view(pool: asyncpg.Pool, case_id: str) -> dict[str, Any] | None:
    """A case's stored snapshot and rejected events (for the API), or None."""
    row = await pool.fetchrow("SELECT version, snapshot FROM dispatch_cases WHERE case_id = $1", case_id)
    if row is None:
        return None
    rejected = await pool.fetch("SELECT event_id, reason, detail FROM dispatch_rejections WHERE case_id = $1",
                                case_id)
    _, state = snapshot.decode(row["snapshot"].encode())
    return {"version": row["version"], "snapshot": orjson.loads(row["snapshot"]),
            "supervisions": [supervision_view(s) for s in state.supervisions],
            "rejected": [dict(r) for r in rejected]}


def supervision_view(order: Supervision) -> dict[str, Any]:
    """A 督办 order as people read it: local times, the reason in words."""
    return {"at": iso(order.at), "reason": order.reason, "reason_zh": SUPERVISION_REASON_ZH.get(order.reason),
            "deadline_at": None if order.deadline_at is None else iso(order.deadline_at)}
