"""The assessment page in headless Chromium, on a running scoring service: an assessor records a
deduction with a photo and submits it, the approver approves it, the town sees its total fall on its
phone and appeals, the approver reverses, the total is back. Screenshots in docs/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caseflow.infra.settings import Settings
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import Services
from tests.conftest import CONTRACT
from tests.e2e.test_notify_live import SHOTS, browser
from tests.e2e.test_walking_skeleton import env_of, wait_for

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d4944415478da6364f8cf00000301010018dd8db40000000049454e44ae426082")


@pytest.fixture
def scoring(settings: Settings, tmp_path: Path) -> Iterator[str]:
    env = {**env_of(settings, CONTRACT / "units.example.yaml"),
           "CASEFLOW_API_KEYS": settings.api_keys + ",approver:test-approver-key",
           "CASEFLOW_OPERATORS": "operator,approver", "CASEFLOW_ASSESSMENT_APPROVERS": "approver",
           "CASEFLOW_UNIT_TOKENS": "linping:linping-token,donghu:donghu-token"}
    services = Services(env, {"scoring": free_port()}, tmp_path / "logs")
    try:
        yield services.start(("scoring",)).running["scoring"].url
    finally:
        services.stop_all()


def text_of(driver, element_id: str) -> str:  # type: ignore[no-untyped-def]
    """The element's text, "" while the page is rebuilding it."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = driver.find_elements("id", element_id)
        return str(found[0].text) if found else ""
    except StaleElementReferenceException:
        return ""


def open_as(driver, url: str, secret: str, *, form: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Open a scoring page as the holder of `secret`: a unit's token as a robot link carries it (in the
    fragment), a key typed into the page's sign-in form (`form`); the previous session signed out first."""
    if driver.current_url.startswith("http"):
        driver.delete_all_cookies()
    driver.get("about:blank")
    if not form:
        driver.get(f"{url}#token={secret}")
        return
    driver.get(url)
    wait_for(lambda: driver.find_element("id", "login").is_displayed(), timeout=15)
    driver.find_element("id", "secret").send_keys(secret)
    driver.find_element("css selector", "#login button").click()


def status(driver) -> str:  # type: ignore[no-untyped-def]
    return text_of(driver, "status")


def points(driver, item: str) -> str:  # type: ignore[no-untyped-def]
    return text_of(driver, f"pts-{item}")


def click(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import StaleElementReferenceException

    def press() -> bool:
        try:
            button = next((b for b in driver.find_elements("css selector", "button") if b.text == text), None)
            if button is None:
                return False
            button.click()
            return True
        except StaleElementReferenceException:
            return False
    wait_for(press, timeout=15)


def answer_prompt(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    alert = wait_for(lambda: _alert(driver), timeout=10)
    alert.send_keys(text)
    alert.accept()


def _alert(driver):  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import NoAlertPresentException

    try:
        return driver.switch_to.alert
    except NoAlertPresentException:
        return None


def test_enter_approve_appeal_and_reverse_a_deduction(scoring: str, tmp_path: Path) -> None:
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    page = f"{scoring}/assessments/district-rules/2026-10"
    driver = browser()
    try:
        driver.set_window_size(1280, 900)
        open_as(driver, page, "test-operator-key", form=True)
        wait_for(lambda: "考核对象" in status(driver), timeout=20)
        assert "key" not in driver.current_url
        rows = driver.find_elements("css selector", "tr.pick")
        assert {r.get_attribute("data-s") for r in rows} >= {"linping", "donghu"}
        driver.save_screenshot(str(SHOTS / "assessment-table.png"))
        driver.set_window_size(360, 780)  # an assessor on a phone: the table scrolls sideways
        driver.save_screenshot(str(SHOTS / "assessment-table-360.png"))
        driver.set_window_size(1280, 900)
        next(r for r in rows if r.get_attribute("data-s") == "linping").click()
        wait_for(lambda: points(driver, "org-structure") == "4 / 4", timeout=15)
        form = driver.find_element("css selector", "form.add[data-item='org-structure']")
        form.find_element("xpath", "../summary").click()  # the form opens from its "＋ 记录扣分"
        form.find_element("css selector", "select[name='deduction'] option[value='hotline-apart']").click()
        form.find_element("css selector", "textarea").send_keys("10月12日检查：96310 受理电话未与数字城管合署办公")
        form.find_element("css selector", "input[type='file']").send_keys(str(photo))
        form.find_element("css selector", "button").click()
        wait_for(lambda: "已保存为草稿" in status(driver), timeout=15)
        click(driver, "提交")
        wait_for(lambda: "待批准" in text_of(driver, "view"), timeout=15)
        assert points(driver, "org-structure") == "4 / 4"  # not approved: no deduction yet

        open_as(driver, f"{page}?subject=linping", "test-approver-key", form=True)
        click(driver, "批准")
        wait_for(lambda: points(driver, "org-structure") == "2 / 4", timeout=15)
        assert "96310 未合署办公 −2 分" in text_of(driver, "view")
        driver.save_screenshot(str(SHOTS / "assessment-subject.png"))

        driver.set_window_size(360, 780)
        open_as(driver, page, "linping-token")
        wait_for(lambda: "临平街道 · 总分 25" in status(driver), timeout=15)  # 立案率 7 of 7: no reports yet
        assert not driver.find_elements("css selector", "form.add[data-item='org-structure']")  # units do not record
        click(driver, "申诉")
        answer_prompt(driver, "已于10月8日合署办公，见任命文件")
        wait_for(lambda: "申诉中" in text_of(driver, "view"), timeout=15)
        driver.save_screenshot(str(SHOTS / "assessment-unit-appeal-360.png"))

        driver.set_window_size(1280, 900)
        open_as(driver, f"{page}?subject=linping", "test-approver-key", form=True)
        click(driver, "撤销扣分")
        answer_prompt(driver, "任命文件日期早于检查，扣分撤销")
        wait_for(lambda: points(driver, "org-structure") == "4 / 4", timeout=15)
        assert "申诉成立" in text_of(driver, "view")

        open_as(driver, f"{page}?subject=linping", "donghu-token")  # another town's token: its own page only
        wait_for(lambda: "东湖街道 · 总分" in status(driver), timeout=15)
    finally:
        driver.quit()
