"""A unit's standing in headless Chromium on a running scoring service (issue #32), as the issue's proof
asks: the unit opens its standing from the link a robot message carries (a signed link token in the
fragment, exchanged for an HttpOnly cookie), sees its schemes with their terms, its rank and the cases
behind its late count, applies for 核减 on one; the operator signs in through the form and approves on
the centre's page, with no key in any URL of the session (the tab's navigation history); the unit's
total changes on its page. Another unit's link opens none of it; a revoked link opens nothing.
Screenshots: standing-360.png, standing-drilldown-360.png, standing-1280.png in docs/screenshots/."""

from __future__ import annotations

import httpx
import msgspec

from caseflow.contract.alert import AlertMessage
from caseflow.domain.rules import Rules
from caseflow_notify import content, messages
from tests.e2e.test_assessment_page import answer_prompt, click, open_as, status, text_of
from tests.e2e.test_exemption_page import LINK_SECRET, MONTH, scoring
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import wait_for

__all__ = ["scoring"]  # the fixture: a scoring service on this month's generated cases
APPROVER = {"X-API-Key": "test-approver-key"}
OPERATOR = {"X-API-Key": "test-operator-key"}


def full_height(driver, width: int) -> None:  # type: ignore[no-untyped-def]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 80, 5000))


def robot_link(scoring: str, unit: str, rules: Rules, now_ms: int) -> str:
    """The standing link of a notice to `unit` as notify renders it into a robot message."""
    notice = msgspec.convert({"alert_id": f"n-{unit}", "type": "notice", "case_id": "", "unit": unit, "level": 0,
                              "due_at": "2026-12-01T09:00:00+08:00", "reason": "finding_approved",
                              "detail": "扣 2 分", "link": f"{scoring}/units/{unit}/standing"}, AlertMessage)
    links = content.Links("", "", LINK_SECRET, 7 * 86400, (scoring + "/",))
    ctx = content.Context(now_ms, rules.calendar, {}, links)
    [draft] = messages.pack(content.entries_of([notice]), ctx, lambda title, text: True)
    line = next(x for x in draft.text.splitlines() if "考核看板" in x)
    return line.split("](", 1)[1].rstrip(")")


def visited(driver) -> list[str]:  # type: ignore[no-untyped-def]
    """Every URL in the tab's navigation history (Chromium DevTools)."""
    return [e["url"] for e in driver.execute_cdp_cmd("Page.getNavigationHistory", {})["entries"]]


def test_a_unit_reads_its_standing_applies_and_sees_the_change(scoring: str, rules: Rules) -> None:
    import time

    now_ms = int(time.time() * 1000)
    link, other = robot_link(scoring, "U-000", rules, now_ms), robot_link(scoring, "U-001", rules, now_ms)
    assert "#token=l1." in link
    token, other_token = link.split("#token=")[1], other.split("#token=")[1]
    api = f"{scoring}/v1/units/U-000/standing?period={MONTH}"
    assert httpx.get(api).status_code == 401
    assert httpx.get(api, headers={"Authorization": f"Bearer {other_token}"}).status_code == 403
    assert httpx.get(f"{scoring}/v1/units/U-001/standing?period={MONTH}",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    before = httpx.get(api, headers=APPROVER).json()
    scheme = before["schemes"][0]
    late = before["costs"]["overdue"]
    assert late and all(c["may_apply"] for c in late) and scheme["terms"]

    driver = browser()
    try:
        driver.set_window_size(360, 780)
        driver.get(f"{link.split('#')[0]}?period={MONTH}#token={token}")  # the robot link, on this month
        wait_for(lambda: "实时数据" in status(driver), timeout=20)
        assert "token" not in driver.current_url  # the fragment was replaced in the tab's history, not added
        session = driver.get_cookie("caseflow_session")
        assert session and session["httpOnly"] and session["sameSite"] == "Strict"
        assert driver.execute_script("return document.cookie + JSON.stringify(sessionStorage)") == "{}"
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

        # the approver signs in through the centre's page form (a header, then a cookie) and approves there
        driver.set_window_size(1280, 900)
        open_as(driver, f"{scoring}/exemptions/{MONTH}", "test-approver-key", form=True)
        wait_for(lambda: "待审核 1" in text_of(driver, "view") and case_id in text_of(driver, "view"), timeout=15)
        click(driver, "批准")
        answer_prompt(driver, "经核实属实")
        wait_for(lambda: "待审核 0" in text_of(driver, "view"), timeout=15)
        history = visited(driver)
        assert history and not any("key" in url or "approver" in url for url in history), history
        after = httpx.get(api, headers=APPROVER).json()
        assert after["indicators"]["on_time"] == before["indicators"]["on_time"] + 1
        assert after["schemes"][0]["score"] != scheme["score"]

        open_as(driver, f"{link.split('#')[0]}?period={MONTH}", token)  # the unit opens its link again
        wait_for(lambda: "超期核减已批准" in text_of(driver, "view"), timeout=15)
        assert f"{after['schemes'][0]['score']:.2f}" in text_of(driver, "view")
        full_height(driver, 1280)
        driver.save_screenshot(str(SHOTS / "standing-1280.png"))

        # a second unit's link opens none of U-000's standing, not even in a browser
        open_as(driver, f"{scoring}/units/U-000/standing?period={MONTH}", other_token)
        wait_for(lambda: "无法读取" in status(driver) or "口令" in status(driver), timeout=15)
        assert case_id not in text_of(driver, "view")

        # the operator revokes U-000's links: the old one, and the session it opened, open nothing
        assert httpx.post(f"{scoring}/v1/units/U-000/links/revoke", headers=APPROVER,
                          params={"why": "链接外泄"}).status_code == 200
        assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert httpx.get(api, headers={"Cookie": f"caseflow_session={token}"}).status_code == 401
        assert httpx.get(api, headers={"Authorization": "Bearer u0-token"}).status_code == 200  # own token stays
    finally:
        driver.quit()


def test_a_town_reads_its_own_numbers_on_the_same_page(scoring: str, rules: Rules) -> None:
    import time

    link = robot_link(scoring, "R-00", rules, int(time.time() * 1000))
    token = link.split("#token=")[1]
    shown = httpx.get(f"{scoring}/v1/units/R-00/standing?period={MONTH}",
                      headers={"Authorization": f"Bearer {token}"}).json()
    assert shown["kind"] == "region" and shown["listings"]
    assert httpx.get(f"{scoring}/v1/units/R-01/standing?period={MONTH}",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 403
    driver = browser()
    try:
        driver.set_window_size(360, 780)
        driver.get(f"{link.split('#')[0]}?period={MONTH}#token={token}")
        wait_for(lambda: "实时数据" in status(driver), timeout=20)
        view = text_of(driver, "view")
        assert shown["listings"][0]["name"] in view and "问题按期处置率" in view and "目标" in view
        full_height(driver, 360)
        driver.save_screenshot(str(SHOTS / "standing-region-360.png"))
    finally:
        driver.quit()
