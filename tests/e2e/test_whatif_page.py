"""The what-if pages (#35) as an operator sees them in Chromium: the file `caseflow whatif --out` writes,
and scoring's /whatif page (sign in through the form, pick the period and the draft files, 试算). The slope
graph draws a line per ranked unit, the movers are named with the term that moved them, and the tables fit
a phone by scrolling sideways."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from pathlib import Path

import pytest

from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import Services
from tests.e2e.test_assessment_page import open_as, status, text_of
from tests.e2e.test_notify_live import browser
from tests.e2e.test_walking_skeleton import env_of, wait_for
from tests.integration.test_whatif_api import MONTH, load
from tests.unit.test_replay_cli import caseflow

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def draft_file(folder: Path) -> Path:
    """A draft of standard-department: 按期处置率 weighs 50 instead of 30, 完好率 10 instead of 30."""
    adopted = (resources.files("caseflow.config") / "schemes" / "standard-department.yaml").read_text("utf-8")
    folder.mkdir(exist_ok=True)
    path = folder / "standard-department.yaml"
    path.write_text(adopted.replace("{weight: 30, key: on_time_rate}", "{weight: 50, key: on_time_rate}").replace(
        "{weight: 30, key: intact_rate}", "{weight: 10, key: intact_rate}"), "utf-8")
    return path


def test_the_page_shows_who_moves_and_why(tmp_path: Path) -> None:
    shape = Shape(cases=3000, units=12, regions=4, seed=9)
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    (tmp_path / "events.jsonl").write_bytes(b"".join(generate(shape)))
    draft_file(tmp_path / "draft")
    out = caseflow("whatif", "--input", tmp_path / "events.jsonl", "--units", tmp_path / "units.yaml", "--period",
                   "2026-10", "--schemes-dir", tmp_path / "draft", "--out", tmp_path / "out", "--no-progress")
    assert out.returncode == 0, out.stderr
    driver = browser()
    try:
        driver.set_window_size(1280, 1100)
        driver.get((tmp_path / "out" / "whatif.html").as_uri())
        lines = driver.find_elements("css selector", "svg line")
        assert len(lines) == 12  # every ranked unit
        moved = [x for x in lines if x.get_attribute("stroke") != "#a0a4aa"]
        assert moved and all(x.get_attribute("stroke-width") == "2.5" for x in moved)
        text = driver.find_element("tag name", "body").text
        assert "变动最大" in text and ("按期处置率" in text or "完好率" in text) and "未改动" in text
        driver.save_screenshot(str(SHOTS / "whatif-1280.png"))
        driver.set_window_size(360, 900)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360  # only tables scroll
        driver.save_screenshot(str(SHOTS / "whatif-360.png"))
    finally:
        driver.quit()


@pytest.fixture
def scoring(settings: Settings, rules: Rules, tmp_path: Path) -> Iterator[str]:
    """A scoring service on a month of 12 units' cases (2026-10)."""
    start = datetime.fromtimestamp(month_bounds(MONTH)[0] / 1000, SHANGHAI)
    shape = Shape(cases=1500, units=12, regions=4, seed=9, start=start)
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    asyncio.run(load(settings, rules, shape))
    env = {**env_of(settings, tmp_path / "units.yaml"), "CASEFLOW_UNIT_TOKENS": "U-000:u0-token"}
    services = Services(env, {"scoring": free_port()}, tmp_path / "logs")
    try:
        yield services.start(("scoring",)).running["scoring"].url
    finally:
        services.stop_all()


def test_the_served_page_tries_a_draft_file(scoring: str, tmp_path: Path) -> None:
    driver = browser()
    try:
        driver.set_window_size(360, 780)
        driver.get(f"{scoring}/")  # the service's front page: where each page is
        assert "本月" in driver.find_element("tag name", "body").text
        driver.save_screenshot(str(SHOTS / "scoring-home-360.png"))
        driver.find_element("link text", "规则草案试算").click()
        wait_for(lambda: driver.current_url.endswith("/whatif"), timeout=10)
        driver.set_window_size(1280, 1000)
        open_as(driver, f"{scoring}/whatif", "u0-token", form=True)  # a unit's token: not for this page
        wait_for(lambda: "单位口令不能使用" in status(driver), timeout=15)
        open_as(driver, f"{scoring}/whatif?period={MONTH}", "test-operator-key", form=True)
        wait_for(lambda: "选择期间与草案文件" in status(driver), timeout=15)
        assert "standard-department" in text_of(driver, "adopted") and "key" not in driver.current_url
        assert driver.find_element("id", "period").get_attribute("value") == MONTH
        driver.find_element("id", "run").click()
        wait_for(lambda: "请选择至少一个草案文件" in status(driver), timeout=5)
        driver.find_element("id", "files").send_keys(str(draft_file(tmp_path / "draft")))
        driver.find_element("id", "run").click()
        wait_for(lambda: "完成" in status(driver), timeout=60)
        assert "1 个被草案修改或新增" in status(driver)
        lines = driver.find_elements("css selector", "#result svg line")
        assert len(lines) == 12  # every ranked unit
        assert [x for x in lines if x.get_attribute("stroke-width") == "2.5"]  # some moved
        result = text_of(driver, "result")
        assert "变动最大" in result and ("按期处置率" in result or "完好率" in result) and "未改动" in result
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 80, 4000))
        driver.save_screenshot(str(SHOTS / "whatif-served-1280.png"))
        driver.set_window_size(360, 900)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
        driver.save_screenshot(str(SHOTS / "whatif-served-360.png"))
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "broken.yaml").write_text("id: [oops", "utf-8")
        driver.find_element("id", "files").clear()
        driver.find_element("id", "files").send_keys(str(bad / "broken.yaml"))
        driver.find_element("id", "run").click()
        wait_for(lambda: "试算失败" in status(driver), timeout=30)
        assert "broken.yaml: not YAML" in status(driver)
    finally:
        driver.quit()
