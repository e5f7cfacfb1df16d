"""A fast path for decoding contract-v1 events straight to domain events (msgspec, about 5x pydantic).

It only ever accepts: anything it is unsure of returns None and `mapping.parse` asks the pydantic
models, which stay the contract's definition and the source of every error message. So it must accept
a subset of what pydantic accepts and give the same event; tests/unit/test_fast_decode.py checks both
on generated, mutated and hostile input. Where the two libraries differ, this side is the narrower:
- instants must be plain RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM)`, ASCII digits) and are
  converted by `datetime.fromisoformat`, which refuses impossible dates;
- identifiers hold no control character (U+0000-U+001F, U+007F: the contract's rule), checked only in
  a line with an escape that decodes to one or a raw DEL (`plain_text`: a line without either cannot
  hold one, and raw control bytes make msgspec refuse the line);
- a line with a field beyond the documented ones may hold at most 100 brackets: pydantic's JSON parser
  refuses nesting deeper than 200 even in fields it then ignores, and msgspec goes deeper (and ends in
  RecursionError at a few thousand). Lines with documented fields only (the strict models in
  `fast_wire`) are nested three deep at most and skip the count;
- integers beyond 64 bits, NaN and other oddities make msgspec refuse, so pydantic decides.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

import msgspec

from caseflow.contract import fast_wire as w
from caseflow.domain import events as d
from caseflow.instants import EPOCH

_MAX_BRACKETS = 100
_EPOCH, _MS = EPOCH, timedelta(milliseconds=1)


def _ms(text: str) -> int:
    """Epoch ms of an instant that matched fast_wire.RFC3339. Instants share their date, hour and offset with
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


def _duration(x: w.Duration | None) -> d.Duration | None:
    return None if x is None else d.Duration(float(x.value), x.unit)


# Codes, units and enumerations repeat across a month's cases and stay in every case's state: one
# shared string each (sys.intern) instead of one per event saved ~400 bytes per case in a replay.
_shared = sys.intern


def _opt_shared(text: str | None) -> str | None:
    return None if text is None else _shared(text)


def _reported(e: w.Reported, seq: int) -> d.CaseEvent:
    x = e.data
    return d.CaseReported(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(x.source), _shared(x.category),
                          _shared(x.major), _shared(x.minor), _shared(x.region), _shared(x.grid),
                          _shared(x.road_grade))


def _filed(e: w.Filed, seq: int) -> d.CaseEvent:
    x = e.data
    return d.CaseFiled(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(x.urgency), _opt_shared(x.major),
                       _opt_shared(x.minor))


def _cycle_event(domain: type[d.CaseDispatched] | type[d.CaseReworked]) -> Callable[[Any, int], d.CaseEvent]:
    """Dispatched and reworked: a unit, and the cycle's deadline or time limit."""
    def mapper(e: Any, seq: int) -> d.CaseEvent:
        x = e.data
        return domain(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(x.unit), _opt_ms(x.deadline_at),
                      _duration(x.time_limit))
    return mapper


def _extended(e: w.Extended, seq: int) -> d.CaseEvent:
    x = e.data
    return d.DeadlineExtended(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(x.unit),
                              _opt_ms(x.deadline_at), _duration(x.extra), x.engineering)


def _supervised(e: w.Supervised, seq: int) -> d.CaseEvent:
    return d.CaseSupervised(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(e.data.reason),
                            _opt_ms(e.data.deadline_at))


def _visited(e: w.Visited, seq: int) -> d.CaseEvent:
    return d.CaseVisited(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(e.data.result), e.data.valid)


def _unit_event(domain: type[d.CaseEvent]) -> Callable[[Any, int], d.CaseEvent]:
    def mapper(e: Any, seq: int) -> d.CaseEvent:
        return domain(e.event_id, e.case_id, _ms(e.occurred_at), seq, _shared(e.data.unit))  # type: ignore[call-arg]
    return mapper


def _bare_event(domain: type[d.CaseEvent]) -> Callable[[Any, int], d.CaseEvent]:
    def mapper(e: Any, seq: int) -> d.CaseEvent:
        return domain(e.event_id, e.case_id, _ms(e.occurred_at), seq)
    return mapper


_MAPPERS: dict[type, Callable[[Any, int], d.CaseEvent]] = {
    w.Reported: _reported, w.Filed: _filed, w.Extended: _extended, w.Supervised: _supervised, w.Visited: _visited,
    w.Dispatched: _cycle_event(d.CaseDispatched), w.Reworked: _cycle_event(d.CaseReworked),
    w.Returned: _unit_event(d.AssignmentReturned), w.Suspended: _unit_event(d.AssignmentSuspended),
    w.Resumed: _unit_event(d.AssignmentResumed), w.Disposed: _unit_event(d.CaseDisposed),
    w.Verified: _bare_event(d.CaseVerified), w.Invalidated: _bare_event(d.CaseInvalidated),
    w.Closed: _bare_event(d.CaseClosed),
}
_MAPPERS.update({w.STRICT_OF[wire]: mapper for wire, mapper in _MAPPERS.items()})


_CODES = ("major", "minor", "region", "grid", "unit")
_IDENTIFIERS: dict[type, Callable[[d.CaseEvent], tuple[str | None, ...]]] = {}
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# A JSON escape that decodes to a control character. (An escaped backslash before `n` matches too: a
# line is then checked for nothing, never let through unchecked.)
_CONTROL_ESCAPE = re.compile(rb"\\(?:u00[01][0-9a-fA-F]|u007[fF]|[bfnrt])")


def plain_text(data: bytes) -> bool:
    """No JSON string in `data` can hold a control character: no escape that decodes to one and no raw
    DEL (raw U+0000-U+001F cannot stand in a JSON string). Lines with other escapes are common:
    json.dumps escapes every non-ASCII character."""
    return b"\x7f" not in data and _CONTROL_ESCAPE.search(data) is None


def _printable(e: d.CaseEvent) -> bool:
    """No identifier or code holds a control character (the contract's rule; one getter per type)."""
    getter = _IDENTIFIERS.get(type(e))
    if getter is None:
        names = ("event_id", "case_id", *(n for n in _CODES if n in type(e).__struct_fields__))
        getter = _IDENTIFIERS[type(e)] = attrgetter(*names)
    return _CONTROL.search("".join(filter(None, getter(e)))) is None


def fast_parse(raw: bytes | str, seq: int, plain: bool = False) -> d.CaseEvent | None:
    """The domain event when the fast path is sure the line is valid, else None (ask pydantic).
    `plain`: the caller has seen `plain_text` hold for a buffer of lines holding this one (cheaper over
    a whole buffer than per line)."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        try:
            wire = w.STRICT_DECODER.decode(data)
        except msgspec.ValidationError:  # an unknown field, or invalid
            if data.count(b"{") + data.count(b"[") > _MAX_BRACKETS:
                return None
            wire = w.DECODER.decode(data)
        event = _MAPPERS[type(wire)](wire, seq)
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError):
        return None
    if not plain and not plain_text(data):
        return event if _printable(event) else None
    return event
