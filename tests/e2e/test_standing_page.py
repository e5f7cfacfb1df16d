"""A unit's standing page in headless Chromium on a running scoring service (issue #32): the unit opens
it on its phone with its own token (taken out of the address), sees its schemes with their terms, its
rank and the cases behind its late count, applies for 核减 on one; the approver approves; the unit's
total changes on its page. Another unit's token opens none of it. Screenshots: standing-360.png,
standing-drilldown-360.png, standing-1280.png in docs/screenshots/."""

from __future__ import annotations

import httpx

from tests.e2e.test_assessment_page import status, text_of
from tests.e2e.test_exemption_page import MONTH, scoring
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import wait_for

__all__ = ["scoring"]  # the fixture: a scoring service on this month's generated cases
APPROVER = {"X-API-Key": "test-approver-key"}


def full_height(driver, width: int) -> None:  # type: ignore[no-untyped-def]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 80, 5000))


def test_a_unit_reads_its_standing_applies_and_sees_the_change(scoring: str) -> None:
    api = f"{scoring}/v1/units/U-000/standing?period={MONTH}"
    assert httpx.get(api).status_code == 401
    assert httpx.get(f"{scoring}/v1/units/U-001/standing?period={MONTH}",
                     headers={"Authorization": "Bearer u0-token"}).status_code == 403
    assert httpx.get(api, headers={"Authorization": "Bearer u0-token"}).status_code == 200
    before = httpx.get(api, headers=APPROVER).json()
    scheme = before["schemes"][0]
    late = before["costs"]["overdue"]
    assert late and all(c["may_apply"] for c in late) and scheme["terms"]

    driver = browser()
    try:
        driver.set_window_size(360, 780)
        driver.get(f"{scoring}/units/U-000/standing#token=u0-token")
        wait_for(lambda: "实时数据" in status(driver), timeout=20)
        assert "token" not in driver.current_url  # the fragment was replaced in the tab's history, not added
        view = text_of(driver, "view")
        assert f"{scheme['score']:.2f}" in view and f"第 {scheme['rank']} / {scheme['of']} 名" in view
        assert f"超期（超期处置、超期未处置） {len(late)} 件" in view and late[0]["case_id"] in view
        full_height(driver, 360)
        driver.save_screenshot(str(SHOTS / "standing-360.png"))

        driver.set_window_size(360, 780)
        first = driver.find_elements("css selector", "button[data-apply]")[0]
        case_id = late[0]["case_id"]
        assert case_id in first.get_attribute("data-apply")
        first.click()
        wait_for(lambda: bool(driver.find_elements("css selector", "form.apply select[name='reason'] option")), 10)
        form = driver.find_element("css selector", "form.apply")
        form.find_element("css selector", "select[name='kind'] option[value='on_time']").click()
        form.find_element("css selector", "textarea").send_keys("暴雨红色预警期间停止作业")
        driver.execute_script("arguments[0].scrollIntoView()", form)
        driver.save_screenshot(str(SHOTS / "standing-drilldown-360.png"))
        form.find_element("css selector", "button.main").click()
        wait_for(lambda: "超期核减待审核" in text_of(driver, "view"), timeout=15)

        pending = httpx.get(f"{scoring}/v1/exemptions/{MONTH}", headers=APPROVER).json()["exemptions"]
        [application] = [a for a in pending if a["case_id"] == case_id]
        decided = httpx.post(f"{scoring}/v1/exemption-applications/{application['id']}/approve",
                             json={"why": "经核实属实"}, headers=APPROVER)
        assert decided.status_code == 200, decided.text
        after = httpx.get(api, headers=APPROVER).json()
        assert after["indicators"]["on_time"] == before["indicators"]["on_time"] + 1
        assert after["schemes"][0]["score"] != scheme["score"]

        driver.set_window_size(1280, 900)
        driver.refresh()
        wait_for(lambda: "超期核减已批准" in text_of(driver, "view"), timeout=15)
        assert f"{after['schemes'][0]['score']:.2f}" in text_of(driver, "view")
        full_height(driver, 1280)
        driver.save_screenshot(str(SHOTS / "standing-1280.png"))
    finally:
        driver.quit()
