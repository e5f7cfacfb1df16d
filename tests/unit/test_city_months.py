"""The province's view of a city's closed month (pure, and the use case on a fake): the signed document
kept once with its hash checked, and set beside the province's numbers for that city."""

from __future__ import annotations

from typing import Any

import orjson

from caseflow_scoring.city_months import comparison, keep_on_city_month_closed
from caseflow_scoring.months import content_hash

CITY_DOC = {"period": {"start": "2026-11-01T00:00:00+08:00"},
            "units": {"U1": {"dispatched": 3, "on_time_rate": 0.5, "workload_ratio": 1.0, "scores": {"x": {}}}},
            "regions": {"linping": {"reported": 4}}, "listings": {}}
PROVINCE_DOC = {"units": {"hz:U1": {"dispatched": 3, "on_time_rate": 0.5, "workload_ratio": 0.2, "scores": {}},
                          "nb:U1": {"dispatched": 9, "on_time_rate": 1.0, "workload_ratio": 1.0, "scores": {}}},
                "regions": {"hz": {"reported": 4}, "nb": {"reported": 9}}}


class FakeCityMonths:
    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], dict[str, Any]] = {}

    async def keep(self, city: str, period: str, content_hash: str, verified: bool, closed_at: str,
                   document: dict[str, Any]) -> bool:
        if (city, period) in self.kept:
            return False
        self.kept[(city, period)] = {"content_hash": content_hash, "hash_verified": verified,
                                     "closed_at": closed_at, "received_at": "now", "document": document}
        return True

    async def signed(self, period: str) -> dict[str, dict[str, Any]]:
        return {c: v for (c, p), v in self.kept.items() if p == period}


def record(document: dict[str, Any], claimed: str | None = None) -> bytes:
    return orjson.dumps({"period": "2026-11", "content_hash": claimed or content_hash(document),
                         "closed_at": "2026-12-01T09:00:00+08:00", "document": document})


async def test_the_first_signed_month_stands_and_its_hash_is_checked() -> None:
    months = FakeCityMonths()
    assert await keep_on_city_month_closed(months, "hz", record(CITY_DOC)) == "kept"
    assert await keep_on_city_month_closed(months, "hz", record({**CITY_DOC, "units": {}})) == "known"
    assert await keep_on_city_month_closed(months, "nb", record(CITY_DOC, "sha256:forged")) == "kept"
    assert (await keep_on_city_month_closed(months, "nb", b"{not json")).startswith("unreadable")
    signed = await months.signed("2026-11")
    assert signed["hz"]["hash_verified"] and signed["hz"]["document"] == CITY_DOC
    assert not signed["nb"]["hash_verified"]


async def test_a_city_equals_the_province_on_its_own_rates_not_on_relative_ones() -> None:
    months = FakeCityMonths()
    await keep_on_city_month_closed(months, "hz", record(CITY_DOC))
    signed = (await months.signed("2026-11"))["hz"]
    same = comparison("hz", "2026-11", signed, PROVINCE_DOC)
    assert same["equal"] is True and same["differences"] == [] and same["units"] == 1
    assert same["region"] == {"reported": 4} and same["city_regions"] == {"linping": {"reported": 4}}
    moved = {**PROVINCE_DOC, "units": {**PROVINCE_DOC["units"],
                                       "hz:U1": {**PROVINCE_DOC["units"]["hz:U1"], "on_time_rate": 0.25}}}
    differs = comparison("hz", "2026-11", signed, moved)
    assert differs["equal"] is False
    assert differs["differences"] == [{"unit": "U1", "indicator": "on_time_rate", "city": 0.5, "province": 0.25}]
    assert comparison("nb", "2026-11", None, PROVINCE_DOC)["signed"] is None
