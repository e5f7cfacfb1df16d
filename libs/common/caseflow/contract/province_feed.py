"""The province feed (省级监管平台数据联网): what a city's case events become on their way to the
province, and what the province makes of them.

A city sends only what the province's numbers need: the envelope and, per event type, the data fields
the contract declares and the domain reads, minus location. Reporters (`reporter`, `by`), addresses,
descriptions, free-text reasons and anything the platform adds beyond the contract stay in the city.

The province keeps every city's cases apart: ids, units and grids are namespaced `<city>:<id>`, and the
case's region becomes the city (the province's regions are its cities and counties), the city's own
region kept as `city_region` for the drill-down.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from pydantic import BaseModel

from caseflow.contract import v1

ENVELOPE = ("event_id", "case_id", "type", "occurred_at")
# Where the contract has coordinates the province does not need them: a public report's place can be
# the reporter's door.
WITHHELD = frozenset({"lon", "lat"})
_DATA_MODELS: dict[str, type[BaseModel]] = {
    "reported": v1.ReportedData, "filed": v1.FiledData, "dispatched": v1.DispatchedData,
    "returned": v1.UnitData, "suspended": v1.UnitData, "resumed": v1.UnitData, "disposed": v1.UnitData,
    "extended": v1.ExtendedData, "reworked": v1.DispatchedData, "supervised": v1.SupervisedData,
    "visited": v1.VisitedData,
}
FEED_FIELDS: dict[str, frozenset[str]] = {
    t: frozenset(_DATA_MODELS[t].model_fields) - WITHHELD if t in _DATA_MODELS else frozenset()
    for t in v1.EVENT_TYPES}
CITY_ID = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
SEPARATOR = ":"


def for_province(raw: bytes) -> bytes:
    """A city's accepted event as the province receives it (the city validated it: any valid spelling)."""
    event = orjson.loads(raw)
    data = event.get("data") or {}
    keep = FEED_FIELDS.get(event.get("type"), frozenset())
    out: dict[str, Any] = {k: event[k] for k in ENVELOPE if k in event}
    out["data"] = {k: v for k, v in data.items() if k in keep}
    return orjson.dumps(out)


class ForeignEvent(ValueError):
    """An event the province cannot take from this city: the reason names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def namespaced(event: dict[str, Any], city: str) -> dict[str, Any]:
    """A validated city event (as a dict) with its ids, units and region made the province's."""
    if not CITY_ID.match(city):
        raise ForeignEvent("city", f"{city!r} is not a city id (lower-case letters, digits, '-', up to 16)")
    out = dict(event)
    data = dict(event.get("data") or {})
    extra = sorted(set(data) - FEED_FIELDS.get(event.get("type", ""), frozenset()))
    if extra:
        raise ForeignEvent(f"data.{extra[0]}", "not part of the province feed (a city must not send it)")
    for key, limit in (("event_id", 128), ("case_id", 64)):
        out[key] = _scoped(city, str(event[key]), key, limit)
    if "unit" in data:
        data["unit"] = _scoped(city, str(data["unit"]), "data.unit", 64)
    if "region" in data:
        data["city_region"] = data["region"]
        data["region"] = city
    if "grid" in data:  # repeat cases (rules §6) are found by grid: two cities' grids must not meet
        data["grid"] = _scoped(city, str(data["grid"]), "data.grid", 128)
    out["data"] = data
    return out


def mirrored(topic: str) -> str:
    """The pattern of every city's mirrored copy of `topic` (MirrorMaker 2's names: `<alias>.<topic>`),
    the city in group `city`."""
    return rf"^(?P<city>[a-z][a-z0-9-]{{0,15}})\.{re.escape(topic)}$"


def city_of(scoped_id: str) -> str:
    return scoped_id.split(SEPARATOR, 1)[0] if SEPARATOR in scoped_id else ""


def _scoped(city: str, value: str, field: str, limit: int) -> str:
    scoped = f"{city}{SEPARATOR}{value}"
    if len(scoped) > limit:
        raise ForeignEvent(field, f"longer than {limit} characters once named by its city ({scoped[:40]}...)")
    return scoped
