"""The province's view of its cities' closed months (#33): each city's signed document kept as it came
(its content hash checked), and set beside the province's own recomputation of that city's numbers.

A city's numbers in the province are its units' counts and rates (scores rank within the province's
classes, not the city's); they equal the city's own when both use the same rules (rules §11)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from caseflow.contract.province_feed import SEPARATOR
from caseflow.domain.indicator_keys import RELATIVE_RATES
from caseflow_scoring.months import content_hash
from caseflow_scoring.ports import CityMonths

SHOWN = 50  # differences listed at most


async def keep_on_city_month_closed(months: CityMonths, city: str, raw: bytes) -> str:
    """Keep a city's closed month (the first of a period stands): "kept", "known" or why it was refused."""
    try:
        record = orjson.loads(raw)
        period, document, claimed = record["period"], record["document"], record["content_hash"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return "unreadable: not a closed-month record"
    if not isinstance(document, dict) or not isinstance(period, str):
        return "unreadable: not a closed-month record"
    verified = content_hash(document) == claimed
    kept = await months.keep(city, period, claimed, verified, str(record.get("closed_at", "")), document)
    return "kept" if kept else "known"


def units_of(document: Mapping[str, Any], city: str | None = None) -> dict[str, dict[str, Any]]:
    """Each unit's counts and rates, under the city's own ids (`city` given: the province's document,
    only that city's units); not the rates relative to every unit of the deployment."""
    prefix = f"{city}{SEPARATOR}" if city else ""
    return {u[len(prefix):]: {k: v for k, v in row.items() if k != "scores" and k not in RELATIVE_RATES}
            for u, row in (document.get("units") or {}).items() if u.startswith(prefix)}


def comparison(city: str, period: str, signed: Mapping[str, Any] | None,
               province: Mapping[str, Any]) -> dict[str, Any]:
    """The city's signed month beside the province's recomputation: equal, or where they part."""
    ours = units_of(province, city)
    out: dict[str, Any] = {"city": city, "period": period, "region": (province.get("regions") or {}).get(city),
                           "units": len(ours), "signed": None, "equal": None, "differences": [], "city_regions": {}}
    if signed is None:
        return out
    theirs = units_of(signed["document"])
    differences = []
    for unit in sorted(set(ours) | set(theirs)):
        a, b = theirs.get(unit, {}), ours.get(unit, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                differences.append({"unit": unit, "indicator": key, "city": a.get(key), "province": b.get(key)})
    out["signed"] = {k: signed[k] for k in ("content_hash", "hash_verified", "closed_at", "received_at")}
    out["city_regions"] = signed["document"].get("regions") or {}  # the drill-down: the city's own regions
    out["equal"] = not differences and bool(signed["hash_verified"])
    out["differences"] = differences[:SHOWN]
    out["differing"] = len(differences)
    return out
