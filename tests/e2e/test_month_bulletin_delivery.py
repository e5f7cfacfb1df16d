"""`close-month` tells each unit its 通报 through the robots, exactly once, with notify killed mid-way
(issue #32): a month on the real pipeline (intake, dispatch, scoring, notify, Kafka, PostgreSQL), every
unit's DingTalk robot a stand-in that enforces DingTalk's rules; three robots' gateway is down (HTTP 502)
when the month closes, so notify is retrying them when it is killed with -9; after its restart every unit's
group shows its 通报 once and the command centre the ranking once. The 通报 as a phone shows it:
docs/screenshots/bulletin-message-360.png."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from caseflow.infra.settings import Settings
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from caseflow_notify.messages import AGAIN
from tests.e2e.test_audit import OPERATOR, caseflow, replay_doc
from tests.e2e.test_live_equals_replay import converge, post_all
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import env_of, wait_for
from tools.chat_preview import page
from tools.robot_standins import RobotStandins

pytestmark = pytest.mark.e2e
SHAPE = Shape(cases=120, units=5, regions=2, seed=73)
RESULT = "2026-10 月考核结果"


@pytest.fixture
def robots() -> Iterator[RobotStandins]:
    running = RobotStandins().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def stack(settings: Settings, robots: RobotStandins, tmp_path: Path) -> Iterator[tuple[Services, Path, list[bytes]]]:
    units = yaml.safe_load(units_yaml(SHAPE))
    for unit in units["units"]:
        unit["channels"] = [{"type": "dingtalk", "url": robots.dingtalk(f"dt-{unit['id']}", keyword="城管"),
                             "keyword": "城管"}]
    units["command_centre"] = {"channels": [{"type": "dingtalk", "url": robots.dingtalk("dt-centre")}]}
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump(units, allow_unicode=True), "utf-8")
    lines = list(generate(SHAPE))
    (tmp_path / "events.jsonl").write_bytes(b"".join(lines))
    ports = {n: free_port() for n in SERVICES}
    env = {**env_of(settings, path), "CASEFLOW_SCORING_URL": f"http://127.0.0.1:{ports['scoring']}",
           "CASEFLOW_LINK_SECRET": "bulletin-link-secret", "CASEFLOW_NOTIFY_GROUP_SECONDS": "0.5"}
    services = Services(env, ports, tmp_path / "logs")
    try:
        yield services.start(), path, lines
    finally:
        services.stop_all()


def bulletins(robots: RobotStandins, robot: str) -> list[str]:
    return [t for t in robots.texts(robot) if RESULT in t]


async def test_close_month_tells_every_unit_once_whatever_notify_goes_through(
        stack: tuple[Services, Path, list[bytes]], robots: RobotStandins, settings: Settings,
        tmp_path: Path) -> None:
    services, units, lines = stack
    scoring = services.running["scoring"].url
    await asyncio.to_thread(post_all, services.running["intake"].url, lines)
    await asyncio.to_thread(converge, scoring, replay_doc("--input", tmp_path / "events.jsonl", units=units))
    unit_ids = [u["id"] for u in yaml.safe_load(units.read_text("utf-8"))["units"]]
    slow = unit_ids[:3]
    for unit in slow:  # these robots' gateway is down for a while: notify retries them
        robots.outage(f"dt-{unit}", 15)

    archive = ("--from-archive", "--database-url", settings.database_url, "--topic", settings.topic("case-events"))
    closed = caseflow("close-month", "2026-10", *archive, "--units", units, "--scoring-url", scoring,
                      "--api-key", OPERATOR)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    wait_for(lambda: any(bulletins(robots, f"dt-{u}") for u in unit_ids[3:]), timeout=60)
    assert not any(bulletins(robots, f"dt-{u}") for u in slow)  # still retrying the robots that are down
    services.kill("notify")  # -9, mid-way
    time.sleep(1)
    services.start_one("notify")
    await asyncio.to_thread(services.wait_ready, ("notify",))

    wait_for(lambda: all(bulletins(robots, f"dt-{u}") for u in unit_ids), timeout=120)
    wait_for(lambda: any("考核排名" in t for t in robots.texts("dt-centre")), timeout=60)
    time.sleep(5)  # anything sent twice would have arrived by now
    for unit in unit_ids:
        # once; a copy sent again because notify died during its request says so (a robot has no ids)
        [told] = [t for t in bulletins(robots, f"dt-{unit}") if AGAIN not in t]
        assert "分" in told and "#token=l1." in told and f"/units/{unit}/standing" in told, told
    assert len([t for t in robots.texts("dt-centre") if "考核排名" in t and AGAIN not in t]) == 1
    assert {r[2] for r in robots.refused} <= {502}  # only the outage: every message well formed, in its rate

    shown = [r for r in robots.accepted if r.robot == f"dt-{unit_ids[0]}" and RESULT in str(r.body)]
    preview = tmp_path / "bulletin.html"
    preview.write_text(page(shown), encoding="utf-8")
    driver = browser()
    try:
        driver.set_window_size(360, 800)
        driver.get(preview.as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(360, min(int(height) + 40, 3000))
        text = driver.find_element("css selector", "body").text
        assert RESULT in text and "查看本单位考核看板" in text
        driver.save_screenshot(str(SHOTS / "bulletin-message-360.png"))
    finally:
        driver.quit()
