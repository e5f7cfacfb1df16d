"""The command centre's wall (大屏, 1920 x 1080, nothing to scroll): units ranked by overdue then
about-to-be-overdue counts, regions likewise, today's new, disposed and escalated cases, and the
cases past level 2 (pure: rows from the board, the day's figures from the store)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caseflow_notify.board import light, urgency_order

UNITS_SHOWN, REGIONS_SHOWN, HIGH_SHOWN = 14, 8, 12


def tally(rows: Sequence[Mapping[str, Any]], now_ms: int, key: str) -> list[dict[str, Any]]:
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        name = str((r["facts"].get("region") if key == "region" else r["unit"]) or "未知")
        mine = by.setdefault(name, {"id": name, "overdue": 0, "due_soon": 0, "open": 0})
        colour = light(r, now_ms)
        mine["overdue"] += colour == "red"
        mine["due_soon"] += colour == "yellow"
        mine["open"] += 1
    return sorted(by.values(), key=lambda x: (-x["overdue"], -x["due_soon"], -x["open"], x["id"]))


def wall(rows: Sequence[Mapping[str, Any]], now_ms: int, names: Mapping[str, str], today: Mapping[str, int],
         region_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    units = tally(rows, now_ms, "unit")
    for u in units:
        u["name"] = names.get(u["id"], u["id"])
    regions = tally(rows, now_ms, "region")[:REGIONS_SHOWN]
    for r in regions:
        r["name"] = (region_names or {}).get(r["id"], r["id"])
    high = [r for r in urgency_order([dict(r) for r in rows], now_ms) if r["level"] >= 2 or r["supervised"]]
    return {
        "now_ms": now_ms,
        "totals": {"open": len(rows), "overdue": sum(u["overdue"] for u in units),
                   "due_soon": sum(u["due_soon"] for u in units), **today},
        "units": units[:UNITS_SHOWN], "units_more": max(0, len(units) - UNITS_SHOWN),
        "regions": regions,
        "high": [{"case_id": r["case_id"], "unit": names.get(r["unit"], r["unit"]), "level": r["level"],
                  "supervised": r["supervised"], "deadline_ms": r["deadline_ms"],
                  "address": str(r["facts"].get("address", ""))[:40]} for r in high[:HIGH_SHOWN]],
        "high_more": max(0, len(high) - HIGH_SHOWN),
    }
