"""The boards' PostgreSQL side: case snapshots kept as board rows (newest version wins), and a unit's
open cases with their alert level and acknowledgement, as the pages and the API read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from caseflow.contract import snapshot
from caseflow.domain.rules import Rules
from caseflow.instants import from_ms
from caseflow_notify.board import board_case, counts, urgency_order


async def save_on_case_snapshots(conn: asyncpg.Connection, raws: Sequence[bytes], rules: Rules) -> int:
    latest: dict[str, tuple[int, bytes]] = {}
    for raw in raws:
        version, state = snapshot.decode(raw)
        if state.case_id not in latest or latest[state.case_id][0] < version:
            latest[state.case_id] = (version, raw)
    rows = []
    for version, raw in latest.values():
        message = orjson.loads(raw)
        _, state = snapshot.decode(raw)
        case = board_case(state, rules)
        if case is None:
            continue
        rows.append((case.case_id, version, case.unit, case.open, _ts(case.dispatched_at), _ts(case.cycle_start),
                     _ts(case.deadline), _ts(case.warning_at), case.limit_kind, case.suspended, case.supervised,
                     case.reworks, orjson.dumps(message.get("facts") or {}).decode()))
    if rows:
        await conn.executemany(
            "INSERT INTO notify_board (case_id, version, unit, open, dispatched_at, cycle_start, deadline, warning_at, "
            "limit_kind, suspended, supervised, reworks, facts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
            "$12, $13::jsonb) ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version, unit = EXCLUDED.unit, "
            "open = EXCLUDED.open, dispatched_at = EXCLUDED.dispatched_at, cycle_start = EXCLUDED.cycle_start, "
            "deadline = EXCLUDED.deadline, warning_at = EXCLUDED.warning_at, limit_kind = EXCLUDED.limit_kind, "
            "suspended = EXCLUDED.suspended, supervised = EXCLUDED.supervised, reworks = EXCLUDED.reworks, "
            "facts = EXCLUDED.facts, updated_at = clock_timestamp() WHERE notify_board.version < EXCLUDED.version",
            rows)
    return len(rows)


def _ts(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


BOARD = """
SELECT b.case_id, b.unit, b.deadline, b.warning_at, b.limit_kind, b.suspended, b.supervised, b.reworks, b.facts,
       coalesce(a.level, 0) AS level, coalesce(a.supervision, false) AS supervision_alert, a.alert_ids,
       coalesce(a.unacked, 0) AS unacked
FROM notify_board b
LEFT JOIN LATERAL (
    SELECT max(CASE WHEN i.body->>'type' = 'overdue' THEN (i.body->>'level')::int ELSE 0 END) AS level,
           bool_or(i.body->>'type' = 'supervision') AS supervision,
           array_agg(i.alert_id) AS alert_ids,
           count(*) FILTER (WHERE k.alert_id IS NULL) AS unacked
    FROM notify_inbox i LEFT JOIN notify_acks k USING (alert_id)
    WHERE i.case_id = b.case_id AND i.unit = b.unit
      AND i.body->>'type' IN ('overdue', 'supervision', 'deadline_warning')
      AND (b.cycle_start IS NULL OR (i.body->>'due_at')::timestamptz >= b.cycle_start)
) a ON true
WHERE b.open AND ($1::text IS NULL OR b.unit = $1)
LIMIT 5000
"""


async def board(pool: asyncpg.Pool, unit: str | None, now_ms: int, names: dict[str, str]) -> dict[str, Any]:
    """Open cases (of one unit, or all), most urgent first, with counts."""
    rows = [_row(r) for r in await pool.fetch(BOARD, unit)]
    ordered = urgency_order(rows, now_ms)
    return {"unit": unit, "name": names.get(unit, unit) if unit else "指挥中心", "now_ms": now_ms,
            "counts": counts(rows, now_ms), "cases": ordered}


def _row(r: Any) -> dict[str, Any]:
    def ms(t: datetime | None) -> int | None:
        return None if t is None else int(t.timestamp() * 1000)

    return {"case_id": r["case_id"], "unit": r["unit"], "deadline_ms": ms(r["deadline"]),
            "warning_ms": ms(r["warning_at"]), "limit_kind": r["limit_kind"], "suspended": r["suspended"],
            "supervised": r["supervised"] or r["supervision_alert"], "reworks": r["reworks"],
            "facts": orjson.loads(r["facts"]) if isinstance(r["facts"], str) else dict(r["facts"] or {}),
            "level": r["level"], "acked": r["alert_ids"] is not None and r["unacked"] == 0}


async def changed_at(pool: asyncpg.Pool, unit: str | None) -> tuple[Any, ...]:
    """Something that changes whenever the board does (new snapshot, alert or acknowledgement)."""
    row = await pool.fetchrow(
        "SELECT (SELECT max(updated_at) FROM notify_board WHERE $1::text IS NULL OR unit = $1) AS b, "
        "(SELECT max(received_at) FROM notify_inbox WHERE $1::text IS NULL OR unit = $1) AS i, "
        "(SELECT max(acked_at) FROM notify_acks) AS k", unit)
    return tuple(row.values())


async def acknowledge_case(pool: asyncpg.Pool, unit: str, case_id: str, who: str) -> int:
    """Acknowledge every alert of the unit's case: escalation stops for them."""
    status = await pool.execute(
        "INSERT INTO notify_acks (alert_id, acked_by) SELECT alert_id, $3 FROM notify_inbox "
        "WHERE unit = $1 AND case_id = $2 ON CONFLICT DO NOTHING", unit, case_id, who)
    return int(status.split()[-1])
