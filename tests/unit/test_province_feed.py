"""What a city's events become on the province feed (pure): the fields that go, the ones that stay in the
city, the province's names for a city's ids, units and regions."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.contract.mapping import Invalid, validate
from caseflow.contract.province_feed import FEED_FIELDS, ForeignEvent, for_province, namespaced
from tests.conftest import CONTRACT

EXAMPLES = [line for line in (CONTRACT / "examples.jsonl").read_bytes().splitlines() if line.strip()]


def test_the_fields_that_go_are_the_ones_docs_rules_lists() -> None:
    assert {
        "reported": {"source", "category", "major", "minor", "region", "grid", "road_grade"},
        "verified": set(), "filed": {"urgency", "major", "minor"}, "invalidated": set(),
        "dispatched": {"unit", "deadline_at", "time_limit"}, "returned": {"unit"}, "suspended": {"unit"},
        "resumed": {"unit"}, "disposed": {"unit"}, "extended": {"unit", "deadline_at", "extra", "engineering"},
        "reworked": {"unit", "deadline_at", "time_limit"}, "closed": set(),
        "supervised": {"reason", "deadline_at"}, "visited": {"result", "valid"},
    } == FEED_FIELDS


def test_personal_and_free_text_fields_stay_in_the_city_and_the_event_stays_valid() -> None:
    reported = orjson.loads(for_province(EXAMPLES[0]))
    assert reported["data"] == {"source": "collector", "category": "event", "major": "01", "minor": "05",
                                "region": "linping", "grid": "330110001001", "road_grade": "primary"}
    verified = orjson.loads(for_province(EXAMPLES[1]))
    assert verified["data"] == {}
    odd = {"event_id": "e-9", "case_id": "C-9", "type": "returned", "occurred_at": "2026-11-02T09:12:00+08:00",
           "data": {"unit": "U1", "reason": "联系人 张三 13800000000", "phone": "13800000000"}, "extra": "x"}
    assert orjson.loads(for_province(orjson.dumps(odd))) == {
        "event_id": "e-9", "case_id": "C-9", "type": "returned", "occurred_at": "2026-11-02T09:12:00+08:00",
        "data": {"unit": "U1"}}
    for line in EXAMPLES:
        assert not isinstance(validate(for_province(line)), Invalid)


@given(st.sampled_from(EXAMPLES), st.randoms(use_true_random=False), st.sampled_from([None, 1, 4]),
       st.booleans())
def test_any_spelling_of_an_event_gives_the_same_feed(line: bytes, rnd: object, indent: int | None,
                                                      ascii_only: bool) -> None:
    event = json.loads(line)
    keys = list(event)
    rnd.shuffle(keys)  # type: ignore[attr-defined]
    data = list(event["data"])
    rnd.shuffle(data)  # type: ignore[attr-defined]
    shuffled = {k: ({d: event["data"][d] for d in data} if k == "data" else event[k]) for k in keys}
    spelled = json.dumps(shuffled, indent=indent, ensure_ascii=ascii_only).encode()
    assert orjson.loads(for_province(spelled)) == orjson.loads(for_province(line))


def test_the_province_names_ids_units_and_regions_by_city() -> None:
    reported = namespaced(orjson.loads(for_province(EXAMPLES[0])), "hz")
    assert (reported["event_id"], reported["case_id"]) == ("hz:e-0001", "hz:YH-2026-100231")
    assert reported["data"]["region"] == "hz" and reported["data"]["city_region"] == "linping"
    assert reported["data"]["grid"] == "hz:330110001001"  # two cities' grids never make repeats of each other
    dispatched = namespaced(orjson.loads(for_province(EXAMPLES[3])), "hz")
    assert dispatched["data"]["unit"] == "hz:U-HW-LP"
    assert dispatched["data"]["time_limit"] == {"value": 4, "unit": "working_hours"}
    assert not isinstance(validate(orjson.dumps(reported)), Invalid)


@pytest.mark.parametrize(("event", "city", "field"), [
    (orjson.loads(EXAMPLES[0]), "hz", "data.address"),  # a city sent what must stay home
    ({"event_id": "e", "case_id": "C" * 62, "type": "closed", "occurred_at": "2026-11-02T09:12:00+08:00",
      "data": {}}, "hz", "case_id"),
    ({"event_id": "e", "case_id": "C", "type": "closed", "occurred_at": "2026-11-02T09:12:00+08:00",
      "data": {}}, "Hang Zhou", "city"),
])
def test_what_the_province_cannot_take_names_the_field(event: dict[str, object], city: str, field: str) -> None:
    with pytest.raises(ForeignEvent) as caught:
        namespaced(event, city)
    assert caught.value.field == field and caught.value.reason
