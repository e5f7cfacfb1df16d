"""The province end to end (tools/province_scenario.py, issue #33), at a small size: three city clusters
and a province cluster on this machine with Kafka's MirrorMaker 2 between them; city b's Kafka stopped for
two minutes, MirrorMaker 2 killed -9, the province's dispatch and scoring killed -9, all while the
cities stream their months. The province's numbers equal a replay of the cities' events and each city's
own; nothing lost or counted twice; what a city's feed must not carry is kept as rejected, naming it;
city a's closed month reaches the province and equals the province's recomputation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import province_scenario

pytestmark = pytest.mark.e2e


def test_three_cities_feed_the_province_through_outages_and_kills(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"):  # it starts (and stops) its own
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "province.json"
    code = province_scenario.main(["--cases", "60", "--feed-seconds", "150", "--steady", "20", "--outage", "120",
                                   "--out", str(out)])
    outcome = json.loads(out.read_text())["outcome"]
    assert [f["fault"] for f in outcome["faults"]] == [
        "city b's Kafka stopped", "MirrorMaker 2 killed -9 and started again",
        "the province's dispatch and scoring killed -9", "city b's Kafka started again"], outcome["faults"]
    acknowledged = outcome["events_acknowledged"]
    assert outcome["province_accepted"] == outcome["province_events_distinct"] == acknowledged, outcome
    assert outcome["province_events_stored"] == acknowledged, "an event counted twice"
    assert all(outcome["equal_replay"].values()) and all(outcome["each_city_equals_its_replay"].values()), outcome
    assert all(outcome["city_a_units_equal_its_own"].values()), outcome
    assert outcome["rejected_naming_city_c"] == {"c": 2} and outcome["kept_rejections"] == {"c": 2}, outcome
    signed = outcome["signed_months"]
    assert signed["a"]["equal"] is True and signed["a"]["signed"]["hash_verified"], signed
    assert signed["b"]["signed"] is None and signed["c"]["signed"] is None, signed
    assert outcome["catch_up_after_city_b_outage"]["city_b_outage"]["events"] > 0, "city b's outage held nothing"
    assert code == 0 and outcome["passed"]
