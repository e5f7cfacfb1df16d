"""A fast path for decoding contract-v1 events straight to domain events (msgspec, about 5x pydantic).

It only ever accepts: anything it is unsure of returns None and `mapping.parse` asks the pydantic
models, which stay the contract's definition and the source of every error message. So it must accept
a subset of what pydantic accepts and give the same event; tests/unit/test_fast_decode.py checks both
on generated, mutated and hostile input. Where the two libraries differ, this side is the narrower:
- instants must be plain RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)`, ASCII digits) and are
  converted by `datetime.fromisoformat`, which refuses impossible dates;
- identifiers in a line with an escape or a DEL must pass `str.isprintable`, narrower than the
  contract's "no control characters" (a line without either cannot hold one);
- at most 100 brackets in the whole line: pydantic's JSON parser refuses nesting deeper than 200 even
  in fields it then ignores, and msgspec goes deeper (and ends in RecursionError at a few thousand);
- integers beyond 64 bits, NaN and other oddities make msgspec refuse, so pydantic decides.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from caseflow.domain import events as d

# Identifiers and codes are checked for control characters after decoding (see fast_parse): a regex
# per string cost three quarters of the decode.
Code = Annotated[str, Meta(min_length=1)]
UnitId = Annotated[str, Meta(min_length=1, max_length=64)]
# Hours, minutes, seconds and offsets are range-checked here: fromisoformat accepts "+08:60".
_RFC3339 = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
            r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])\Z")
Instant = Annotated[str, Meta(pattern=_RFC3339)]
_MAX_BRACKETS = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class _Data(Struct, frozen=True):
    pass


class _Duration(Struct, frozen=True):
    value: Annotated[int, Meta(gt=0)] | Annotated[float, Meta(gt=0)]
    unit: Literal["working_hours", "working_days", "hours"]


class _ReportedData(Struct, frozen=True):
    source: Literal["collector", "video", "public", "supervision", "leader", "media", "self"]
    category: Literal["event", "component"]
    major: Code
    minor: Code
    region: Code
    grid: Code
    road_grade: Literal["primary", "secondary", "backstreet", "key_area"] = "secondary"
    lon: Annotated[int, Meta(ge=-180, le=180)] | Annotated[float, Meta(ge=-180, le=180)] | None = None
    lat: Annotated[int, Meta(ge=-90, le=90)] | Annotated[float, Meta(ge=-90, le=90)] | None = None


class _FiledData(Struct, frozen=True):
    urgency: Literal["normal", "urgent"] = "normal"
    major: Code | None = None
    minor: Code | None = None


class _UnitData(Struct, frozen=True):
    unit: UnitId


class _DispatchedData(Struct, frozen=True):
    unit: UnitId
    deadline_at: Instant | None = None
    time_limit: _Duration | None = None


class _ExtendedData(Struct, frozen=True):
    unit: UnitId
    deadline_at: Instant | None = None
    extra: _Duration | None = None
    engineering: bool = False


class _SupervisedData(Struct, frozen=True):
    reason: Literal["leader_instruction", "discipline", "higher_level", "media", "major_impact", "major_event", "other"]
    deadline_at: Instant | None = None


class _VisitedData(Struct, frozen=True):
    result: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    valid: bool = True


class _Envelope(Struct, frozen=True, tag_field="type"):
    event_id: Annotated[str, Meta(min_length=1, max_length=128)]
    case_id: Annotated[str, Meta(min_length=1, max_length=64)]
    occurred_at: Instant


class _Reported(_Envelope, frozen=True, tag="reported"):
    data: _ReportedData


class _Verified(_Envelope, frozen=True, tag="verified"):
    data: _Data


class _Filed(_Envelope, frozen=True, tag="filed"):
    data: _FiledData


class _Invalidated(_Envelope, frozen=True, tag="invalidated"):
    data: _Data


class _Dispatched(_Envelope, frozen=True, tag="dispatched"):
    data: _DispatchedData


class _Returned(_Envelope, frozen=True, tag="returned"):
    data: _UnitData


class _Suspended(_Envelope, frozen=True, tag="suspended"):
    data: _UnitData


class _Resumed(_Envelope, frozen=True, tag="resumed"):
    data: _UnitData


class _Disposed(_Envelope, frozen=True, tag="disposed"):
    data: _UnitData


class _Extended(_Envelope, frozen=True, tag="extended"):
    data: _ExtendedData


class _Reworked(_Envelope, frozen=True, tag="reworked"):
    data: _DispatchedData


class _Closed(_Envelope, frozen=True, tag="closed"):
    data: _Data


class _Supervised(_Envelope, frozen=True, tag="supervised"):
    data: _SupervisedData


class _Visited(_Envelope, frozen=True, tag="visited"):
    data: _VisitedData


_Wire = (
    _Reported | _Verified | _Filed | _Invalidated | _Dispatched | _Returned | _Suspended | _Resumed | _Disposed
    | _Extended | _Reworked | _Closed | _Supervised | _Visited
)
_DECODER = msgspec.json.Decoder(_Wire)


def _ms(text: str) -> int:
    """Epoch ms of an instant that matched _RFC3339. Instants share their date, hour and offset with
    many others, so that part is computed once (fromisoformat refuses impossible dates)."""
    if len(text) == 25 and text[19] != ".":  # YYYY-MM-DDTHH:MM:SS+HH:MM, the platform's form
        key = text[:13] + text[19:]
        hour = _HOURS.get(key)
        if hour is None:
            hour = _HOURS[key] = (datetime.fromisoformat(text[:13] + ":00:00" + text[19:]) - _EPOCH) // _MS
        return hour + _MINUTE_SECOND[text[14:19]]
    return (datetime.fromisoformat(text) - _EPOCH) // _MS


_HOURS: dict[str, int] = {}
_MINUTE_SECOND = {f"{m:02d}:{s:02d}": (m * 60 + s) * 1000 for m in range(60) for s in range(60)}


def _opt_ms(text: str | None) -> int | None:
    return None if text is None else _ms(text)


def _duration(x: _Duration | None) -> d.Duration | None:
    return None if x is None else d.Duration(float(x.value), x.unit)


# Codes, units and enumerations repeat across a month's cases and stay in every case's state: one
# shared string each (sys.intern) instead of one per event saved ~400 bytes per case in a replay.
_shared = sys.intern


def _opt_shared(text: str | None) -> str | None:
    return None if text is None else _shared(text)


def _reported(w: _Reported, seq: int) -> d.CaseEvent:
    x = w.data
    return d.CaseReported(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(x.source), _shared(x.category),
                          _shared(x.major), _shared(x.minor), _shared(x.region), _shared(x.grid),
                          _shared(x.road_grade))


def _filed(w: _Filed, seq: int) -> d.CaseEvent:
    x = w.data
    return d.CaseFiled(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(x.urgency), _opt_shared(x.major),
                       _opt_shared(x.minor))


def _dispatched(w: _Dispatched, seq: int) -> d.CaseEvent:
    x = w.data
    return d.CaseDispatched(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(x.unit), _opt_ms(x.deadline_at),
                            _duration(x.time_limit))


def _reworked(w: _Reworked, seq: int) -> d.CaseEvent:
    x = w.data
    return d.CaseReworked(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(x.unit), _opt_ms(x.deadline_at),
                          _duration(x.time_limit))


def _extended(w: _Extended, seq: int) -> d.CaseEvent:
    x = w.data
    return d.DeadlineExtended(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(x.unit),
                              _opt_ms(x.deadline_at), _duration(x.extra), x.engineering)


def _supervised(w: _Supervised, seq: int) -> d.CaseEvent:
    return d.CaseSupervised(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(w.data.reason),
                            _opt_ms(w.data.deadline_at))


def _visited(w: _Visited, seq: int) -> d.CaseEvent:
    return d.CaseVisited(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(w.data.result), w.data.valid)


def _unit_event(domain: type[d.CaseEvent]) -> Callable[[Any, int], d.CaseEvent]:
    def mapper(w: Any, seq: int) -> d.CaseEvent:
        return domain(w.event_id, w.case_id, _ms(w.occurred_at), seq, _shared(w.data.unit))  # type: ignore[call-arg]
    return mapper


def _bare_event(domain: type[d.CaseEvent]) -> Callable[[Any, int], d.CaseEvent]:
    def mapper(w: Any, seq: int) -> d.CaseEvent:
        return domain(w.event_id, w.case_id, _ms(w.occurred_at), seq)
    return mapper


_MAPPERS: dict[type, Callable[[Any, int], d.CaseEvent]] = {
    _Reported: _reported, _Filed: _filed, _Dispatched: _dispatched, _Reworked: _reworked, _Extended: _extended,
    _Supervised: _supervised, _Visited: _visited,
    _Returned: _unit_event(d.AssignmentReturned), _Suspended: _unit_event(d.AssignmentSuspended),
    _Resumed: _unit_event(d.AssignmentResumed), _Disposed: _unit_event(d.CaseDisposed),
    _Verified: _bare_event(d.CaseVerified), _Invalidated: _bare_event(d.CaseInvalidated),
    _Closed: _bare_event(d.CaseClosed),
}


def _printable(e: d.CaseEvent) -> bool:
    """Every identifier and code passes str.isprintable (narrower than the contract's rule)."""
    texts = [e.event_id, e.case_id]
    for name in ("major", "minor", "region", "grid", "unit"):
        value = getattr(e, name, None)
        if value is not None:
            texts.append(value)
    return "".join(texts).isprintable()


def fast_parse(raw: bytes | str, seq: int) -> d.CaseEvent | None:
    """The domain event when the fast path is sure the line is valid, else None (ask pydantic)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if data.count(b"{") + data.count(b"[") > _MAX_BRACKETS:
        return None
    try:
        wire = _DECODER.decode(data)
        event = _MAPPERS[type(wire)](wire, seq)
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError):
        return None
    # JSON strings cannot hold raw U+0000-U+001F (msgspec refuses the line), only escaped: without a
    # backslash or a raw DEL in the line, no string in it has a control character.
    if b"\\" in data or b"\x7f" in data:
        return event if _printable(event) else None
    return event
