"""A province's report drills down to each city's own regions, as the city signed its month (#33): the rows
come from the province's comparison (scoring's GET /v1/cities), one per city and region."""

from __future__ import annotations

from typing import Any

from caseflow.domain.indicator_keys import REGION_KEYS
from caseflow.replay.report_cities import HEAD, city_region_rows, html_section, unsigned
from caseflow_scoring.city_months import comparison

REGIONS = {"R-00": {k: (0.5 if k.endswith("rate") else 10) for k in REGION_KEYS},
           "R-01": {k: (0.75 if k.endswith("rate") else 4) for k in REGION_KEYS}}
UNIT = {"assigned": 3, "on_time_rate": 1.0}


def signed(regions: dict[str, Any]) -> dict[str, Any]:
    return {"content_hash": "sha256:abc", "hash_verified": True, "closed_at": "2026-11-01T02:00:00+08:00",
            "received_at": "2026-11-01T02:00:05+08:00", "document": {"units": {"U-1": UNIT}, "regions": regions}}


def cities() -> list[dict[str, Any]]:
    province = {"units": {"hz:U-1": UNIT, "nb:U-1": {**UNIT, "assigned": 4}}, "regions": {}}
    return [comparison("nb", "2026-10", signed({"<b>镇</b>": REGIONS["R-00"]}), province) | {"name": "宁波"},
            comparison("hz", "2026-10", signed(REGIONS), province) | {"name": "杭州"},
            comparison("wz", "2026-10", None, province) | {"name": "温州"}]


def test_a_row_per_city_and_region_as_signed_with_whether_it_equals_the_province() -> None:
    rows = [dict(zip(HEAD, r, strict=True)) for r in city_region_rows(cities())]
    assert [(r["市（县） city"], r["辖区 region"]) for r in rows] == [("杭州", "R-00"), ("杭州", "R-01"),
                                                                     ("宁波", "<b>镇</b>")]
    hz = rows[1]
    assert [hz[h] for h in HEAD[2:-2]] == [REGIONS["R-01"][k] for k in REGION_KEYS]
    assert hz["报送哈希 signed hash"] == "sha256:abc" and hz["与本省复算 equals the province"] == "一致 equal"
    assert rows[2]["与本省复算 equals the province"] == "不一致 differs"  # its unit's count differs
    assert unsigned(cities()) == ["温州"]  # not closed yet: no regions to show, and it is named


def test_the_page_section_escapes_what_a_city_sent_and_names_who_has_not_signed() -> None:
    section = html_section(cities())
    assert "&lt;b&gt;镇&lt;/b&gt;" in section and "<b>镇" not in section
    assert "75.00%" in section and "尚未报送本期封存结果：温州" in section
