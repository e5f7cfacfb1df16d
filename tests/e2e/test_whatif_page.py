"""The what-if page (#35) as an operator sees it in Chromium: the slope graph draws a line per ranked unit,
the movers are named with the term that moved them, and the tables fit a phone by scrolling sideways."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from caseflow.sample.generate import Shape, generate, units_yaml
from tests.e2e.test_notify_live import browser
from tests.unit.test_replay_cli import caseflow

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_the_page_shows_who_moves_and_why(tmp_path: Path) -> None:
    shape = Shape(cases=3000, units=12, regions=4, seed=9)
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    (tmp_path / "events.jsonl").write_bytes(b"".join(generate(shape)))
    adopted = (resources.files("caseflow.config") / "schemes" / "standard-department.yaml").read_text("utf-8")
    (tmp_path / "draft").mkdir()
    (tmp_path / "draft" / "standard-department.yaml").write_text(adopted.replace(
        "{weight: 30, key: on_time_rate}", "{weight: 50, key: on_time_rate}").replace(
        "{weight: 30, key: intact_rate}", "{weight: 10, key: intact_rate}"), "utf-8")
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
