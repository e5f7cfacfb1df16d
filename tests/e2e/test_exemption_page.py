"""The exemption page in headless Chromium, on a running scoring service: a unit on its phone sees the
month's cases that cost it points and applies for one with a photo; the command centre approves it at
its desk; the unit sees the decision, and the month's numbers count it. Screenshots in docs/screenshots/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from caseflow.contract import snapshot
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import Services
from caseflow_scoring.store.cases import save_on_case_snapshots
from tests.e2e.test_assessment_page import PNG, answer_prompt, click, open_as, status, text_of
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import env_of, wait_for

MONTH = datetime.now(SHANGHAI).strftime("%Y-%m")  # the window of this month's applications is open
START, END = month_bounds(MONTH)
STREETS = ["临平大道与人民路口", "南苑街道迎宾路88号", "东湖街道星桥北路", "乔司街道永玄路口"]


async def load_month(settings: Settings, rules: Rules) -> None:
    shape = Shape(cases=90, units=3, regions=2, seed=12, start=datetime.fromtimestamp(START / 1000, SHANGHAI))
    book = CaseBook(rules)
    for seq, line in enumerate(generate(shape)):
        book.add_raw(line.rstrip(b"\n"), seq, END)
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [
                snapshot.encode(s, 1, {"address": STREETS[n % 4], "description": "井盖破损，车辆经过有异响"})
                for n, s in enumerate(book.cases())])
    finally:
        await pool.close()


LINK_SECRET = "test-link-secret"  # robot messages' links (caseflow.access.links)


@pytest.fixture
def scoring(settings: Settings, rules: Rules, tmp_path: Path) -> Iterator[str]:
    (tmp_path / "units.yaml").write_text(units_yaml(Shape(units=3, regions=2)), "utf-8")
    asyncio.run(load_month(settings, rules))
    env = {**env_of(settings, tmp_path / "units.yaml"),
           "CASEFLOW_API_KEYS": settings.api_keys + ",approver:test-approver-key",
           "CASEFLOW_OPERATORS": "operator,approver", "CASEFLOW_ASSESSMENT_APPROVERS": "approver",
           "CASEFLOW_UNIT_TOKENS": "U-000:u0-token", "CASEFLOW_LINK_SECRET": LINK_SECRET}
    services = Services(env, {"scoring": free_port()}, tmp_path / "logs")
    try:
        yield services.start(("scoring",)).running["scoring"].url
    finally:
        services.stop_all()


def test_a_unit_applies_on_its_phone_and_the_centre_approves(scoring: str, tmp_path: Path) -> None:
    photo = tmp_path / "停工通知.png"
    photo.write_bytes(PNG)
    page = f"{scoring}/exemptions/{MONTH}"
    before = httpx.get(f"{scoring}/v1/periods/{MONTH}", headers={"X-API-Key": "test-operator-key"}).json()
    driver = browser()
    try:
        driver.set_window_size(360, 780)
        open_as(driver, page, "u0-token")
        wait_for(lambda: "U-000 · 申请截止" in status(driver) and "当日24时" in status(driver), timeout=20)
        assert "token=" not in driver.current_url
        assert "可申请核减的案件" in text_of(driver, "view") and "还没有申请" in text_of(driver, "view")
        driver.save_screenshot(str(SHOTS / "exemption-unit-360.png"))
        form = driver.find_elements("css selector", "form.apply")[0]
        case_id = form.get_attribute("data-case")
        form.find_element("xpath", "..").find_element("css selector", "summary button").click()
        form.find_element("css selector", "select[name='kind'] option[value='exclude']").click()
        form.find_element("css selector", "select[name='reason'] option[value='not_ours']").click()
        form.find_element("css selector", "textarea").send_keys("该井盖属燃气公司产权，已移交")
        form.find_element("css selector", "input[type='file']").send_keys(str(photo))
        driver.save_screenshot(str(SHOTS / "exemption-unit-apply-360.png"))
        form.find_element("css selector", "button.main:last-child").click()
        wait_for(lambda: "已提交" in status(driver), timeout=15)
        assert "待审核" in text_of(driver, "view")

        driver.set_window_size(1280, 900)
        open_as(driver, page, "test-approver-key", form=True)
        wait_for(lambda: "待审核 1" in text_of(driver, "view"), timeout=15)
        assert case_id in text_of(driver, "view") and "燃气公司产权" in text_of(driver, "view")
        assert "井盖破损" in text_of(driver, "view") and driver.find_elements("css selector", "a[data-file]")
        driver.save_screenshot(str(SHOTS / "exemption-centre-1280.png"))
        click(driver, "批准")
        answer_prompt(driver, "经核实产权属燃气公司")
        wait_for(lambda: "待审核 0" in text_of(driver, "view"), timeout=15)

        driver.set_window_size(360, 780)
        open_as(driver, page, "u0-token")
        wait_for(lambda: "已批准" in text_of(driver, "view"), timeout=15)
        assert "经核实产权属燃气公司" in text_of(driver, "view")
        driver.save_screenshot(str(SHOTS / "exemption-unit-approved-360.png"))
    finally:
        driver.quit()
    after = httpx.get(f"{scoring}/v1/periods/{MONTH}", headers={"X-API-Key": "test-operator-key"}).json()
    assert after["units"]["U-000"]["exempted"] == before["units"]["U-000"]["exempted"] + 1
    assert [a["case_id"] for a in after["exemptions"].values()] == [case_id]
