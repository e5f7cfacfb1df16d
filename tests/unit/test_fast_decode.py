"""The msgspec fast path never accepts what the pydantic contract models refuse, and where it accepts it
gives exactly the event the pydantic path gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.contract import fast_wire as w
from caseflow.contract.fast import _ms, fast_parse, plain_text
from caseflow.contract.mapping import Invalid, to_domain, validate
from caseflow.sample.generate import Shape, generate
from tests.corpus import BAD, GOOD, hostile_corpus


def pydantic_parse(raw: bytes, seq: int) -> Any:
    wire = validate(raw)
    return wire if isinstance(wire, Invalid) else to_domain(wire, seq)


def assert_fast_within_pydantic(raw: bytes, seq: int = 0) -> Any:
    fast = fast_parse(raw, seq)
    slow = pydantic_parse(raw, seq)
    if plain_text(raw):  # what a caller that checked a whole buffer may say
        assert fast_parse(raw, seq, plain=True) == fast
    if fast is not None:
        assert not isinstance(slow, Invalid), f"fast path accepted what the contract refuses: {raw[:300]!r}: {slow}"
        assert fast == slow, raw[:300]
    return fast


def test_a_generated_month_takes_the_fast_path_and_maps_identically() -> None:
    lines = list(generate(Shape(cases=400, seed=5)))
    for seq, line in enumerate(lines):
        assert assert_fast_within_pydantic(line, seq) is not None, line


def test_the_platforms_usual_lines_decode_strictly() -> None:
    """The generated month and the contract's examples (documented fields only) take the strict models,
    which need no bracket count; any other field sends a line to the lenient models."""
    for line in [*generate(Shape(cases=100, seed=6)), *GOOD]:
        assert type(w.STRICT_DECODER.decode(line)) in w.STRICT_OF.values()
    line = orjson.loads(GOOD[0])
    line["data"]["photos"] = [{"url": "x"}]
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        w.STRICT_DECODER.decode(orjson.dumps(line))
    assert assert_fast_within_pydantic(orjson.dumps(line)) is not None
    deep: Any = 1
    for _ in range(60):
        deep = [deep]
    line["data"]["photos"], line["data"]["reporter"] = deep, [deep]
    assert fast_parse(orjson.dumps(line), 0) is None  # 100+ brackets: pydantic decides


def test_contract_examples_and_known_bad_messages() -> None:
    for line in GOOD:
        assert assert_fast_within_pydantic(line) is not None, line
    for line in BAD:
        assert assert_fast_within_pydantic(line) is None, line


def test_hostile_corpus() -> None:
    for line in hostile_corpus(600, seed=3):
        assert_fast_within_pydantic(line)


INSTANTS = [
    "2026-10-01T00:01:32+08:00", "2026-10-01T00:01:32Z", "2026-10-01T00:01:32.5+08:00",
    "2026-10-01T00:01:32.123456-03:30", "2026-10-01T00:01:32.1234567+08:00", "2026-10-01t00:01:32+08:00",
    "2026-10-01 00:01:32+08:00", "2026-10-01T00:01:32z", "2026-10-01T00:01+08:00", "2026-10-01T00:01:32+0800",
    "2026-10-01T00:01:32+08", "2026-10-01T00:01:32+24:00", "2026-10-01T00:01:32+23:59", "2026-10-01T00:01:32-00:00",
    "2026-02-29T00:00:00+08:00", "2028-02-29T00:00:00+08:00", "2026-13-01T00:00:00+08:00", "2026-10-01T24:00:00Z",
    "2026-10-01T23:59:60Z", "2026-10-01T00:60:00Z", "２０２６-10-01T00:01:32+08:00", "2026-10-01T00:01:32",
    "2026-10-01", "20261001T000132Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-10-01T00:01:32.+08:00",
    "2026-10-01T00:60:00+08:00", "2026-10-01T00:00:60+08:00", "2026-02-30T10:00:00+08:00", "2026-10-01T25:00:00+08:00",
    "2026-10-01T10:00:00+25:00", "2026-10-01T10:00:00+08:60", "2026-10-01T00:01:32.1234Z",
]
TEXTS = [
    "a", "", "U-1", "x\n", "\nx", "a\x00b", "a\x7f", "a\x1f", "\u00a0", "a\u2028b", "\u202e", "区-01", "a b",
    "\ud7ff", "x" * 64, "x" * 65, "区" * 64, "区" * 65, "x" * 128, "x" * 129, "\\", '"',
]
NUMBERS: list[Any] = [0, 1, -1, 0.5, 1e308, 10**30, -(10**30), 2**63, 2**64, True, False, None, "1", 180, 180.0001, -90]


def _texts() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(TEXTS), st.text(max_size=8), st.sampled_from(NUMBERS), st.none())


def _value_for(key: str) -> st.SearchStrategy[Any]:
    if key in ("occurred_at", "deadline_at"):
        return st.one_of(st.sampled_from(INSTANTS), st.sampled_from(NUMBERS), st.text(max_size=30))
    if key in ("value", "lon", "lat"):
        return st.one_of(st.sampled_from(NUMBERS), st.floats(allow_nan=True), st.integers())
    if key in ("engineering", "valid"):
        return st.one_of(st.booleans(), st.sampled_from(NUMBERS))
    return _texts()


@st.composite
def mutated_events(draw: st.DrawFn) -> bytes:
    """A valid event from the month with a few fields replaced, removed, or duplicated as raw JSON."""
    base = orjson.loads(draw(st.sampled_from(SAMPLE)))
    for _ in range(draw(st.integers(1, 3))):
        where = base if draw(st.booleans()) or not isinstance(base.get("data"), dict) else base["data"]
        keys = [*where, "unit", "time_limit", "extra", "engineering", "deadline_at", "lon", "urgency", "reason",
                "by", "address", "description", "reporter", "photos"]
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["set", "set", "drop", "duration"]))
        if action == "drop":
            where.pop(key, None)
        elif action == "duration":
            where[key] = {"value": draw(_value_for("value")), "unit": draw(st.sampled_from(
                ["hours", "working_days", "working_hours", "days", 1]))}
        else:
            where[key] = draw(_value_for(key))
    text = json.dumps(base, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):  # a duplicated key, written twice with different values
        key = draw(st.sampled_from(["event_id", "case_id", "type", "occurred_at", "data"]))
        text = text[:-1] + f', "{key}": ' + json.dumps(draw(_value_for(key))) + "}"
    return text.encode("utf-8", "surrogatepass")


SAMPLE = list(generate(Shape(cases=60, seed=9)))


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       st.integers(-23 * 60 - 59, 23 * 60 + 59), st.booleans())
def test_instants_convert_like_fromisoformat(moment: datetime, offset_minutes: int, whole: bool) -> None:
    if whole:
        moment = moment.replace(microsecond=0)
    text = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()
    expected = (datetime.fromisoformat(text) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert _ms(text) == expected


@settings(max_examples=1500, deadline=None)
@given(mutated_events())
def test_mutated_events(raw: bytes) -> None:
    assert_fast_within_pydantic(raw)


@pytest.mark.parametrize(("text", "plain"), [
    (b'{"a":"x"}', True), (b'{"a":"\\u533a\\u57df"}', True), (b'{"a":"\\u00a0\\u2028"}', True),
    (b'{"a":"\\/\\"\\\\"}', True), (b'{"a":"\\u0000"}', False), (b'{"a":"\\u001F"}', False),
    (b'{"a":"\\u007f"}', False), (b'{"a":"\\n"}', False), (b'{"a":"\\t"}', False), (b'{"a":"x\x7f"}', False),
    (b'{"a":"\\\\n"}', False),  # an escaped backslash, then n: no control character, checked anyway
])
def test_plain_text_rules_out_control_characters_whatever_else_is_escaped(text: bytes, plain: bool) -> None:
    assert plain_text(text) is plain


def test_lines_as_json_dumps_writes_them_are_plain_and_decode_the_same() -> None:
    """json.dumps escapes every non-ASCII character: such lines hold backslashes but no control character."""
    for line in list(generate(Shape(cases=200, seed=8)))[:800]:
        spelled = json.dumps(orjson.loads(line)).encode()
        assert b"\\u" in spelled or spelled.isascii()
        assert plain_text(spelled)
        assert fast_parse(spelled, 0, plain=True) == fast_parse(line, 0) == pydantic_parse(line, 0)
    named = orjson.loads(next(iter(generate(Shape(cases=1, seed=8)))))
    named["case_id"] = "C\x01"  # json.dumps writes it as \\u0001
    control = json.dumps(named).encode()
    assert not plain_text(control) and fast_parse(control, 0) is None
