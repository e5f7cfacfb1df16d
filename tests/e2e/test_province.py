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

from tests.e2e.test_notify_live import browser, wait_for
from tools import province_scenario

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def look_at_the_province_page(scenario: province_scenario.Scenario) -> None:
    """The province's people sign in by the form and read each city against its targets, whether its
    signed month equals the province's numbers, and (a click) the city's own regions."""
    month = scenario.signed["month"]
    url = f"{scenario.stacks['province'].running['scoring'].url}/province/{month}"
    driver = browser()
    try:
        driver.set_window_size(1280, 900)
        driver.get(url)
        wait_for(lambda: driver.find_element("id", "login").is_displayed(), timeout=20)
        driver.find_element("id", "secret").send_keys(province_scenario.KEY)
        driver.find_element("css selector", "#login button").click()
        wait_for(lambda: "已报送" in driver.find_element("id", "status").text, timeout=30)
        text = driver.find_element("id", "view").text
        assert all(name in text for name in province_scenario.CITIES.values()), text
        assert "与本省复算一致" in text and "未报送" in text, text
        driver.find_element("css selector", 'tr.city[data-city="a"]').click()
        wait_for(lambda: driver.find_element("id", "d-a").is_displayed(), timeout=5)
        assert "R-00" in driver.find_element("id", "d-a").text  # city a's own regions, as it signed them
        assert province_scenario.KEY not in driver.current_url
        driver.save_screenshot(str(SHOTS / "province-1280.png"))
        driver.set_window_size(360, 800)
        driver.save_screenshot(str(SHOTS / "province-360.png"))
        driver.set_window_size(1280, 900)  # the year: the yearly template (province-frame) ranks the cities
        driver.get(url.replace(f"/province/{month}", f"/province/{month[:4]}"))
        wait_for(lambda: "共 12 个月" in driver.find_element("id", "status").text, timeout=60)
        text = driver.find_element("id", "view").text
        assert "名次" in text and "总分" in text and "已报送 1/12 个月" in text, text
        driver.save_screenshot(str(SHOTS / "province-year-1280.png"))
    finally:
        driver.quit()


def test_three_cities_feed_the_province_through_outages_and_kills(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"):  # it starts (and stops) its own
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "province.json"
    code = province_scenario.main(["--cases", "60", "--feed-seconds", "150", "--steady", "20", "--outage", "120",
                                   "--out", str(out)], while_running=look_at_the_province_page)
    outcome = json.loads(out.read_text())["outcome"]
    assert [f["fault"] for f in outcome["faults"]] == [
        "city b's Kafka stopped", "the province's dispatch and scoring killed -9",
        "MirrorMaker 2 killed -9 and started again", "city b's Kafka started again"], outcome["faults"]
    acknowledged = outcome["events_acknowledged"]
    assert outcome["province_accepted"] == outcome["province_events_distinct"] == acknowledged, outcome
    assert outcome["province_events_stored"] == acknowledged, "an event counted twice"
    assert all(outcome["equal_replay"].values()) and all(outcome["each_city_equals_its_replay"].values()), outcome
    assert all(outcome["city_a_units_equal_its_own"].values()), outcome
    assert outcome["rejected_naming_city_c"] == {"c": 2} and outcome["kept_rejections"] == {"c": 2}, outcome
    signed = outcome["signed_months"]
    assert signed["a"]["equal"] is True and signed["a"]["signed"]["hash_verified"], signed
    assert signed["b"]["signed"] is None and signed["c"]["signed"] is None, signed
    assert outcome["province_report"]["regions"] == ["a", "b", "c"], outcome["province_report"]  # the workbook
    assert outcome["province_report"]["html"], outcome["province_report"]
    drill = outcome["province_report"]["city_regions"]  # city a's own regions, as it signed its month
    assert drill and {city for city, _ in drill} == {province_scenario.CITIES["a"]}, drill
    assert outcome["province_report"]["html_drills_down"], outcome["province_report"]
    year = outcome["province_year"]
    assert sorted(year["ranks"]) == sorted(province_scenario.CITIES) and all(year["ranks"].values()), year
    assert year["months_signed"]["a"] == [outcome["closed_month"]] and year["months_signed"]["b"] == [], year
    assert outcome["catch_up_after_city_b_outage"]["city_b_outage"]["events"] > 0, "city b's outage held nothing"
    assert code == 0 and outcome["passed"]
