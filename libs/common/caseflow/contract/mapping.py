"""Validate raw contract-v1 events and map them to domain events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from caseflow.contract import v1
from caseflow.contract.fast import fast_parse
from caseflow.domain import events as d
from caseflow.instants import to_ms

_ADAPTER: TypeAdapter[Any] = TypeAdapter(v1.EventV1)


@dataclass(frozen=True, slots=True)
class Invalid:
    """A message that is not a contract-v1 event: which field, and what is wrong."""

    reason: str
    field: str
    event_id: str | None = None
    case_id: str | None = None

    def describe(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


def validate(raw: bytes | str | dict[str, Any]) -> v1._Envelope | Invalid:
    try:
        # JSON mode always: strict date-times are RFC 3339 strings there (python mode wants objects).
        text = orjson.dumps(raw) if isinstance(raw, dict) else raw
        return _ADAPTER.validate_json(text)
    except ValidationError as exc:
        return _invalid(exc, raw)


def _invalid(exc: ValidationError, raw: Any) -> Invalid:
    first = exc.errors(include_url=False)[0]
    loc = list(first.get("loc", ()))
    if loc and isinstance(loc[0], str) and loc[0] in v1.EVENT_TYPES:
        loc = loc[1:]  # drop the discriminator's tag
    field = ".".join(str(p) for p in loc)
    reason = first.get("msg", "invalid")
    if first.get("type") == "union_tag_invalid":
        field, reason = "type", f"unknown event type; expected one of {', '.join(v1.EVENT_TYPES)}"
    elif first.get("type") == "union_tag_not_found":
        field, reason = "type", "Field required"
    elif first.get("type") == "string_pattern_mismatch" and "x00" in str(first.get("ctx", {}).get("pattern", "")):
        reason = "control characters (U+0000-U+001F, U+007F) are not allowed in identifiers and codes"
    ids = raw if isinstance(raw, dict) else _loose_ids(raw)
    event_id = _printable(ids.get("event_id"))
    case_id = _printable(ids.get("case_id"))
    return Invalid(reason=reason, field=field, event_id=event_id, case_id=case_id)


def _printable(value: Any) -> str | None:
    """An id worth echoing back (and keying a dead letter by): a string without control characters."""
    if not isinstance(value, str) or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    return value[:200]


def _loose_ids(raw: bytes | str) -> dict[str, Any]:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return obj if isinstance(obj, dict) else {}


def _duration(x: v1.DurationV1 | None) -> d.Duration | None:
    return None if x is None else d.Duration(float(x.value), x.unit)


def _opt_ms(t: datetime | None) -> int | None:
    return None if t is None else to_ms(t)


def to_domain(e: v1._Envelope, seq: int) -> d.CaseEvent:
    """Map a validated wire event to its domain event; `seq` is its arrival order."""
    base = (e.event_id, e.case_id, to_ms(e.occurred_at), seq)
    kind: str = e.type  # type: ignore[attr-defined]
    data: Any = e.data  # type: ignore[attr-defined]
    if kind == "reported":
        return d.CaseReported(*base, data.source, data.category, data.major, data.minor,
                              data.region, data.grid, data.road_grade)
    if kind == "verified":
        return d.CaseVerified(*base)
    if kind == "filed":
        return d.CaseFiled(*base, data.urgency, data.major, data.minor)
    if kind == "invalidated":
        return d.CaseInvalidated(*base)
    if kind == "dispatched":
        return d.CaseDispatched(*base, data.unit, _opt_ms(data.deadline_at), _duration(data.time_limit))
    if kind == "reworked":
        return d.CaseReworked(*base, data.unit, _opt_ms(data.deadline_at), _duration(data.time_limit))
    if kind == "extended":
        return d.DeadlineExtended(*base, data.unit, _opt_ms(data.deadline_at), _duration(data.extra),
                                  data.engineering)
    if kind == "closed":
        return d.CaseClosed(*base)
    if kind == "supervised":
        return d.CaseSupervised(*base, data.reason, _opt_ms(data.deadline_at))
    if kind == "visited":
        return d.CaseVisited(*base, data.result, data.valid)
    unit_events: dict[str, type[Any]] = {
        "returned": d.AssignmentReturned, "suspended": d.AssignmentSuspended,
        "resumed": d.AssignmentResumed, "disposed": d.CaseDisposed,
    }
    return unit_events[kind](*base, data.unit)


def parse(raw: bytes | str | dict[str, Any], seq: int) -> d.CaseEvent | Invalid:
    """The domain event, or why the message is not one. Lines the fast decoder is sure of skip pydantic."""
    if not isinstance(raw, dict):
        event = fast_parse(raw, seq)
        if event is not None:
            return event
    wire = validate(raw)
    if isinstance(wire, Invalid):
        return wire
    return to_domain(wire, seq)
