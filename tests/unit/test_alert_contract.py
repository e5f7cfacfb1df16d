"""The alert contract (contract/alert.py): msgspec's decoding and the pydantic model agree on every
message, valid or not (Hypothesis, with other spellings of the same JSON: key order, whitespace,
escapes); every reason the domain plans is in the closed set; alerts stored before the contract decode."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.contract.alert import REASON_ZH, SCHEMA, AlertType, Reason, decode, encode
from caseflow.contract.alert_schema import AlertModel
from caseflow.domain.alerts import plan_alerts
from caseflow.domain.rules import Rules
from tests.support.events import ms
from tests.unit.test_alerts import _month_cases

TEXT = st.text(max_size=30)
FACTS = st.fixed_dictionaries({}, optional={k: TEXT for k in ("description", "address", "category", "major",
                                                                  "supervision_reason")})
VALID = st.fixed_dictionaries(
    {"alert_id": st.text(min_size=1, max_size=24), "type": st.sampled_from([t.value for t in AlertType]),
     "unit": TEXT, "level": st.integers(0, 3), "due_at": st.just("2026-11-03T11:30:00+08:00"),
     "reason": st.sampled_from([r.value for r in Reason])},
    optional={"schema": st.just(SCHEMA), "case_id": TEXT, "assignment": st.integers(-1, 9),
              "reminder": st.integers(0, 5), "detail": TEXT, "case": FACTS,
              "recipients": st.lists(st.sampled_from(["unit", "leadership", "command_centre", "supervision"]),
                                     max_size=3),
              "deadline": st.none() | st.just("2026-11-03T10:30:00+08:00"),
              "limit_kind": st.none() | st.sampled_from(["working", "calendar"]),
              "deadline_of": st.none() | st.sampled_from(["assignment", "supervision"]),
              "redelivery": st.booleans(), "extra_key_of_a_newer_writer": TEXT})
BROKEN = st.sampled_from([
    ("level", "1"), ("level", 1.5), ("type", "fax"), ("reason", "because"), ("schema", "alert.v2"),
    ("recipients", ["everyone"]), ("limit_kind", "lunar"), ("case", "not facts"), ("redelivery", "yes"),
    ("alert_id", None), ("case_id", 7)])


def spellings(doc: dict[str, Any], order: list[int]) -> list[str]:
    keys = list(doc)
    shuffled = {keys[i % len(keys)]: doc[keys[i % len(keys)]] for i in order} | doc
    return [json.dumps(doc, ensure_ascii=False), json.dumps(shuffled, indent=2, ensure_ascii=True),
            json.dumps(dict(reversed(list(doc.items()))), separators=(",", ":"))]


def both(raw: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    try:
        ours: dict[str, Any] | None = json.loads(encode(decode(raw)))
    except (msgspec.ValidationError, msgspec.DecodeError):
        ours = None
    try:
        theirs: dict[str, Any] | None = AlertModel.model_validate_json(raw).model_dump(mode="json", by_alias=True)
    except pydantic.ValidationError:
        theirs = None
    return ours, theirs


@settings(max_examples=300, deadline=None)
@given(VALID, st.lists(st.integers(0, 20), max_size=8))
def test_a_valid_alert_reads_the_same_both_ways_however_it_is_spelt(doc: dict[str, Any], order: list[int]) -> None:
    if "recipients" in doc:
        doc["recipients"] = doc["recipients"] or ["unit"]
    for raw in spellings(doc, order):
        ours, theirs = both(raw)
        assert ours is not None and ours == theirs
        assert decode(encode(decode(raw))) == decode(raw)


@settings(max_examples=200, deadline=None)
@given(VALID, BROKEN)
def test_a_broken_alert_is_refused_both_ways(doc: dict[str, Any], broken: tuple[str, Any]) -> None:
    key, value = broken
    raw = json.dumps({**doc, key: value})
    assert both(raw) == (None, None), raw


def test_every_alert_the_domain_plans_is_a_contract_alert(rules: Rules) -> None:
    """A month of generated cases planned at its end: every alert encodes (scoring's alert_message
    validates against the contract) and reads back with a reason that has its Chinese."""
    from caseflow_scoring.alerting import alert_message

    assert set(REASON_ZH) == set(Reason)
    states = _month_cases(rules, 7)
    planned = [a for s in states.values() for a in plan_alerts(s, ms("2026-10-31 00:00"), rules)]
    reasons = {decode(alert_message(a)).reason for a in planned}
    assert {Reason.OVERDUE_LEVEL_1, Reason.DEADLINE_WARNING, Reason.RESOLVED} <= reasons


@pytest.mark.parametrize(("stored", "reason", "detail"), [
    ("month-to-date on_time_rate 0.800 below target 0.950", Reason.BELOW_TARGET, "below target 0.950"),
    ("未确认超期告警升级 (unacknowledged for 30 min): overdue level 1", Reason.UNACKNOWLEDGED, "30 min"),
    ("dingtalk 通道拒收，已停止重试：310000 sign not match", Reason.CHANNEL_REFUSED, "310000"),
])
def test_alerts_stored_before_the_contract_still_read(stored: str, reason: Reason, detail: str) -> None:
    raw = json.dumps({"alert_id": "a", "type": "supervision", "unit": "U1", "level": 1,
                      "due_at": "2026-11-03T11:30:00+08:00", "reason": stored})
    alert = decode(raw)
    assert alert.reason is reason and detail in alert.detail
