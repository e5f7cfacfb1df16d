"""The boards' PostgreSQL side: cases kept as board rows (newest version wins), and a unit's open cases
with their alert level and acknowledgement (ordered for a page by the use case, board_view.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from caseflow.instants import from_ms
from caseflow_notify.board import BoardCase


async def save_board_cases(conn: asyncpg.Connection, cases: Sequence[tuple[int, BoardCase, dict[str, Any]]]) -> None:
    """(version, the case as the board holds it, its facts) per case; a newer stored version wins."""
    rows = [(c.case_id, version, c.unit, c.open, _ts(c.dispatched_at), _ts(c.cycle_start), _ts(c.deadline),
             _ts(c.warning_at), c.limit_kind, c.suspended, c.supervised, c.reworks, orjson.dumps(facts).decode())
            for version, c, facts in cases]
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


def _ts(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


async def save_risks(conn: asyncpg.Connection, risks: Sequence[tuple[str, int, str, float, str, datetime]]) -> None:
    """(case, assignment, unit, p_late, why, as_of) per case; a newer as_of wins."""
    if risks:
        await conn.executemany(
            "INSERT INTO notify_risks (case_id, seq, unit, p_late, why, as_of) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (case_id) DO UPDATE SET seq = EXCLUDED.seq, unit = EXCLUDED.unit, p_late = EXCLUDED.p_late, "
            "why = EXCLUDED.why, as_of = EXCLUDED.as_of WHERE notify_risks.as_of < EXCLUDED.as_of", risks)


BOARD = """
SELECT b.case_id, b.unit, b.deadline, b.warning_at, b.limit_kind, b.suspended, b.supervised, b.reworks, b.facts,
       coalesce(a.level, 0) AS level, coalesce(a.supervision, false) AS supervision_alert, a.alert_ids,
       coalesce(a.unacked, 0) AS unacked, r.p_late, r.why, r.as_of AS risk_as_of
FROM notify_board b
LEFT JOIN notify_risks r ON r.case_id = b.case_id AND r.unit = b.unit
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


async def open_cases(pool: asyncpg.Pool, unit: str | None) -> list[dict[str, Any]]:
    """Open cases (of one unit, or all) with their alert level and acknowledgement, unordered."""
    return [_row(r) for r in await pool.fetch(BOARD, unit)]


def _row(r: Any) -> dict[str, Any]:
    def ms(t: datetime | None) -> int | None:
        return None if t is None else int(t.timestamp() * 1000)

    return {"case_id": r["case_id"], "unit": r["unit"], "deadline_ms": ms(r["deadline"]),
            "warning_ms": ms(r["warning_at"]), "limit_kind": r["limit_kind"], "suspended": r["suspended"],
            "supervised": r["supervised"] or r["supervision_alert"], "reworks": r["reworks"],
            "facts": orjson.loads(r["facts"]) if isinstance(r["facts"], str) else dict(r["facts"] or {}),
            "level": r["level"], "acked": r["alert_ids"] is not None and r["unacked"] == 0,
            "risk": None if r["p_late"] is None else {"p_late": round(float(r["p_late"]), 4), "why": r["why"],
                                                      "as_of_ms": ms(r["risk_as_of"])}}


async def day_figures(pool: asyncpg.Pool, since: datetime) -> dict[str, int]:
    """Since `since` (local midnight): cases dispatched, cases that left the boards (disposed, returned or
    closed), and escalations raised."""
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM notify_board WHERE dispatched_at >= $1) AS new, "
        "(SELECT count(*) FROM notify_board WHERE NOT open AND updated_at >= $1) AS disposed, "
        "(SELECT count(*) FROM notify_inbox WHERE received_at >= $1 AND body ? 'escalated_from' "
        "AND body->>'escalated_from' IS NOT NULL) AS escalated", since)
    return {"new_today": row["new"], "disposed_today": row["disposed"], "escalated_today": row["escalated"]}


async def changed_at(pool: asyncpg.Pool, unit: str | None) -> tuple[Any, ...]:
    """Something that changes whenever the board does (new snapshot, alert, acknowledgement or risk)."""
    row = await pool.fetchrow(
        "SELECT (SELECT max(updated_at) FROM notify_board WHERE $1::text IS NULL OR unit = $1) AS b, "
        "(SELECT max(received_at) FROM notify_inbox WHERE $1::text IS NULL OR unit = $1) AS i, "
        "(SELECT max(acked_at) FROM notify_acks) AS k, "
        "(SELECT max(as_of) FROM notify_risks WHERE $1::text IS NULL OR unit = $1) AS r", unit)
    return tuple(row.values())


async def acknowledge_case(pool: asyncpg.Pool, unit: str, case_id: str, who: str) -> int:
    """Acknowledge every alert of the unit's case: escalation stops for them."""
    status = await pool.execute(
        "INSERT INTO notify_acks (alert_id, acked_by) SELECT alert_id, $3 FROM notify_inbox "
        "WHERE unit = $1 AND case_id = $2 ON CONFLICT DO NOTHING", unit, case_id, who)
    return int(status.split()[-1])
