"""The unit's board of open cases (pure): what each case's current assignment shows a unit worker —
deadline, when it turns yellow (rules §3's traffic light: 80% of the limit elapsed, in the
limit's own time), suspension, supervision — and the order a worker handles them in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.domain.deadlines import traffic_light, warning_instant
from caseflow.domain.rules import Rules
from caseflow.domain.state import Assignment, CaseState


@dataclass(frozen=True)
class BoardCase:
    case_id: str
    unit: str
    open: bool
    dispatched_at: int | None
    cycle_start: int | None
    deadline: int | None
    warning_at: int | None
    limit_kind: str
    suspended: bool
    supervised: bool
    reworks: int


def board_case(state: CaseState, rules: Rules) -> BoardCase | None:
    """The case as its current holder's board shows it; None before any dispatch."""
    holder = state.current or (state.assignments[-1] if state.assignments else None)
    if holder is None:
        return None
    is_open = state.current is not None and holder.is_open and state.closed_at is None \
        and state.invalidated_at is None
    return BoardCase(state.case_id, holder.unit, is_open, holder.dispatched_at, holder.cycle_start, holder.deadline,
                     _yellow_from(holder, rules), holder.kind, holder.is_suspended, bool(state.supervisions),
                     holder.reworks)


def _yellow_from(a: Assignment, rules: Rules) -> int | None:
    """When the domain's traffic light (rules §3) turns yellow if nothing else happens: at once for a
    zero limit; while suspended the clock is stopped, so the light stays as it was at the suspension
    (None: it cannot turn yellow until resumed)."""
    if a.allowance == 0:
        return a.cycle_start
    if a.is_suspended:
        stopped = a.suspensions[-1][0]
        return a.cycle_start if traffic_light(a, stopped, rules.warning_fraction, rules.calendar) == "yellow" else None
    return warning_instant(a, rules.warning_fraction, rules.calendar)


def light(row: Mapping[str, Any], now_ms: int) -> str:
    """红黄绿灯 now: red once the deadline passed (never while suspended), yellow from the warning."""
    if not row["suspended"] and row["deadline_ms"] is not None and now_ms >= row["deadline_ms"]:
        return "red"
    if row["warning_ms"] is not None and now_ms >= row["warning_ms"]:
        return "yellow"
    return "green"


def urgency_order(rows: Sequence[dict[str, Any]], now_ms: int) -> list[dict[str, Any]]:
    """Supervised and highest alert level first, then red (longest overdue first), yellow, green
    (nearest deadline first)."""
    rank = {"red": 0, "yellow": 1, "green": 2}

    def key(r: dict[str, Any]) -> tuple[int, int, int, int, str]:
        return (0 if r["supervised"] or r["level"] >= 3 else 1, rank[light(r, now_ms)], -r["level"],
                r["deadline_ms"] or 2**62, r["case_id"])

    return sorted(rows, key=key)


def risk_order(rows: Sequence[dict[str, Any]], now_ms: int) -> list[dict[str, Any]]:
    """Already overdue first (as urgency orders them), then the highest overdue risk; cases with no risk
    known yet last, most urgent first."""
    urgent = {r["case_id"]: i for i, r in enumerate(urgency_order(rows, now_ms))}

    def key(r: dict[str, Any]) -> tuple[int, float, int]:
        if light(r, now_ms) == "red":
            return (0, 0.0, urgent[r["case_id"]])
        risk = r.get("risk")
        return (1, -risk["p_late"], urgent[r["case_id"]]) if risk else (2, 0.0, urgent[r["case_id"]])

    return sorted(rows, key=key)


ORDERS = {"urgency": urgency_order, "risk": risk_order}


def next_change(rows: Sequence[Mapping[str, Any]], now_ms: int) -> int | None:
    """When a light on the board turns next (a warning point, or a deadline not suspended): the boards are
    pushed again then, in their new order, without the page deciding anything."""
    ahead = [t for r in rows for t in (r["warning_ms"], r["deadline_ms"])
             if t is not None and t > now_ms and light(r, t) != light(r, now_ms)]
    return min(ahead, default=None)


def counts(rows: Sequence[dict[str, Any]], now_ms: int) -> dict[str, int]:
    lights = [light(r, now_ms) for r in rows]
    return {"overdue": lights.count("red"), "due_soon": lights.count("yellow"), "open": len(rows)}
