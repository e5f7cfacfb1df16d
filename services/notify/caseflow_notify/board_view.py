"""Use cases of the boards: keep each case snapshot as the board shows it (the core decides what a case
looks like on a board: board.py), and read a unit's (or every) open case, most urgent first, with counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from caseflow.contract import snapshot
from caseflow.contract.case_risk import CaseRisk
from caseflow.domain.rules import Rules
from caseflow.instants import SHANGHAI
from caseflow_notify.board import ORDERS, BoardCase, board_case, counts, light, next_change
from caseflow_notify.store.board import day_figures, open_cases, save_board_cases, save_risks
from caseflow_notify.wall import wall


async def keep_on_case_snapshots(conn: asyncpg.Connection, raws: Sequence[bytes], rules: Rules) -> int:
    """The newest snapshot of each case in the batch, as a board row (cases never dispatched have none)."""
    latest: dict[str, tuple[int, bytes]] = {}
    for raw in raws:
        version, state = snapshot.decode(raw)
        if state.case_id not in latest or latest[state.case_id][0] < version:
            latest[state.case_id] = (version, raw)
    cases: list[tuple[int, BoardCase, dict[str, Any]]] = []
    for version, raw in latest.values():
        case = board_case(snapshot.decode(raw)[1], rules)
        if case is not None:
            cases.append((version, case, orjson.loads(raw).get("facts") or {}))
    await save_board_cases(conn, cases)
    return len(cases)


async def keep_on_case_risks(conn: asyncpg.Connection, risks: Sequence[CaseRisk]) -> None:
    """Each case's newest risk (scoring's sweep), for the boards."""
    await save_risks(conn, [(r.case_id, r.seq, r.unit, r.p_late, r.why, datetime.fromisoformat(r.as_of))
                            for r in risks])


async def board(pool: asyncpg.Pool, unit: str | None, now_ms: int, names: dict[str, str], order: str = "urgency"
                ) -> dict[str, Any]:
    """Open cases (of one unit, or all), most urgent (or riskiest) first, each with its light, with counts
    and the moment a light turns next (when the order may change without any event)."""
    rows = await open_cases(pool, unit)
    return {"unit": unit, "name": names.get(unit, unit) if unit else "指挥中心", "now_ms": now_ms, "order": order,
            "counts": counts(rows, now_ms), "next_change_ms": next_change(rows, now_ms),
            "cases": [{**r, "light": light(r, now_ms)} for r in ORDERS[order](rows, now_ms)]}


async def wall_view(pool: asyncpg.Pool, now_ms: int, names: dict[str, str], regions: dict[str, str]
                    ) -> dict[str, Any]:
    """The centre's wall: every open case summed by unit and region, today's figures, the cases past level 2."""
    midnight = datetime.fromtimestamp(now_ms / 1000, SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    return wall(await open_cases(pool, None), now_ms, names, await day_figures(pool, midnight), regions)
