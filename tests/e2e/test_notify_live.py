"""Notify through real processes: an alert raised by the pipeline reaches a local webhook (HMAC
verified); the unit's board in headless Chromium (360 px wide) shows its open cases live — a case
appears over SSE, its countdown runs, it turns red at its deadline, is acknowledged from the page,
drops off when closed; the command centre's board shows every unit; an unacknowledged overdue alert
escalates to leadership; tokens keep units apart; silences need operators. Screenshots go to
docs/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import orjson
import pytest
import yaml

from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from caseflow_notify.kinds.webhook import verify as verify_webhook
from tests.conftest import CONTRACT
from tests.e2e.test_walking_skeleton import KEY, env_of, wait_for
from tests.support.events import ev
from tests.support.receivers import serving

pytestmark = pytest.mark.e2e
SECRET, TOKEN = "hook-secret", "hw-lp-token"
OPERATOR = {"X-API-Key": "test-operator-key"}



@pytest.fixture
def hook() -> Iterator[tuple[str, list[tuple[str, dict, bool]]]]:  # type: ignore[type-arg]
    got: list[tuple[str, dict, bool]] = []  # type: ignore[type-arg]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            ok = verify_webhook(SECRET, self.headers.get("x-caseflow-signature", ""), body, int(time.time()))
            got.append((self.path, orjson.loads(body), ok))
            self.send_response(200 if ok else 401)
            self.send_header("content-length", "0")
            self.end_headers()

    with serving(Handler) as base:
        yield base, got


@pytest.fixture
def stack(settings: Settings, tmp_path: Path, hook) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    base, _ = hook
    units = yaml.safe_load((CONTRACT / "units.example.yaml").read_text())
    units["units"][0]["channels"] = [{"type": "webhook", "url": f"{base}/unit", "secret": SECRET}]
    units["units"][0]["leadership_channels"] = [{"type": "webhook", "url": f"{base}/leadership", "secret": SECRET}]
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump(units, allow_unicode=True))
    env = {**env_of(settings, path), "CASEFLOW_UNIT_TOKENS": f"U-HW-LP:{TOKEN},U-SZ-01:other-token",
           "CASEFLOW_NOTIFY_GROUP_SECONDS": "1", "CASEFLOW_NOTIFY_ESCALATE_AFTER_SECONDS": "3",
           "CASEFLOW_NOTIFY_DIGEST_SECONDS": "2",  # history (OPEN-9 is weeks old) comes in digests
           "CASEFLOW_RISK_EVERY_SECONDS": "3"}  # overdue risks reach the boards within seconds
    services = Services(env, {n: free_port() for n in SERVICES}, tmp_path / "logs")
    try:
        yield services.start()
    finally:
        services.stop_all()


SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def post(intake: str, events: list[dict]) -> None:  # type: ignore[type-arg]
    r = httpx.post(f"{intake}/v1/events:ndjson", content=b"".join(orjson.dumps(e) + b"\n" for e in events),
                   headers=KEY, timeout=30)
    assert r.status_code == 200, r.text


def card(driver, case_id: str):  # type: ignore[no-untyped-def]
    found = driver.find_elements("css selector", f"article.case[data-case-id='{case_id}']")
    return found[0] if found else None


def shows(driver, case_id: str, text: str = "", cls: str = "") -> bool:  # type: ignore[no-untyped-def]
    """The case's card shows `text` and has class `cls` (a card rebuilt meanwhile is looked up again)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = card(driver, case_id)
        return found is not None and text in found.text and cls in (found.get_attribute("class") or "")
    except StaleElementReferenceException:
        return False


def browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def test_alert_reaches_webhook_page_and_escalates(stack: Services, hook, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, got = hook
    intake, notify = stack.running["intake"].url, stack.running["notify"].url
    assert httpx.get(f"{notify}/v1/units/U-HW-LP/feed", headers={"Authorization": "Bearer other-token"}
                     ).status_code == 403
    assert httpx.get(f"{notify}/v1/units/U-HW-LP/feed").status_code == 401
    assert httpx.get(f"{notify}/v1/units/U-HW-LP/feed", params={"token": TOKEN}).status_code == 401  # never in a URL

    driver = browser()
    try:
        driver.set_window_size(360, 780)
        driver.get(f"{notify}/units/U-HW-LP#token={TOKEN}")  # as a robot message links it
        wait_for(lambda: "实时连接正常" in driver.find_element("id", "status").text, timeout=20)
        assert "token" not in driver.current_url  # taken out of the address bar
        # exchanged for an HttpOnly cookie: the page's script, its tab and its requests' URLs hold no token
        assert TOKEN not in str(driver.execute_script("return JSON.stringify(sessionStorage) + document.cookie"))
        cookie = driver.get_cookie("caseflow_unit")
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and TOKEN not in cookie["value"]
        post(intake, [ev("reported", "OPEN-9", "2026-11-03 09:00", description="暴露垃圾，堆积约两平方米",
                         address="临平大道 118 号东侧"),
                      ev("dispatched", "OPEN-9", "2026-11-03 09:30", unit="U-HW-LP",
                         time_limit={"value": 2, "unit": "working_hours"})])
        wait_for(lambda: card(driver, "OPEN-9"), timeout=30)  # pushed over SSE
        wait_for(lambda: shows(driver, "OPEN-9", "三级督办"), timeout=30)
        assert shows(driver, "OPEN-9", "已超期", "red") and shows(driver, "OPEN-9", "临平大道 118 号东侧")

        now = datetime.now(SHANGHAI)
        soon = now + timedelta(seconds=25)
        post(intake, [ev("reported", "SOON-1", now.strftime("%Y-%m-%d %H:%M:%S"), description="井盖缺失"),
                      ev("filed", "SOON-1", now.strftime("%Y-%m-%d %H:%M:%S"), urgency="urgent"),
                      ev("dispatched", "SOON-1", now.strftime("%Y-%m-%d %H:%M:%S"), unit="U-HW-LP",
                         deadline_at=soon.isoformat(timespec="seconds"))])
        fresh = wait_for(lambda: card(driver, "SOON-1"), timeout=20)
        first = fresh.find_element("css selector", ".time").text
        assert first.startswith("剩余"), first
        time.sleep(2.2)
        assert card(driver, "SOON-1").find_element("css selector", ".time").text != first  # the countdown runs
        assert driver.find_element("id", "n-open").text == "2"
        driver.save_screenshot(str(SHOTS / "unit-board.png"))
        # at its deadline: the feed sends the board again when a light turns (the page decides no light)
        wait_for(lambda: shows(driver, "SOON-1", cls="red"), timeout=40)
        wait_for(lambda: shows(driver, "SOON-1", "一级"), timeout=30)  # its overdue alert arrived
        assert driver.find_element("id", "n-overdue").text == "2"
        card(driver, "SOON-1").find_element("css selector", "button.ack").click()  # no rebuild while lights hold
        wait_for(lambda: shows(driver, "SOON-1", "已确认"), timeout=10)
        board = httpx.get(f"{notify}/v1/units/U-HW-LP/board", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert next(c for c in board["cases"] if c["case_id"] == "SOON-1")["acked"] is True
        post(intake, [ev("disposed", "SOON-1", datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), unit="U-HW-LP"),
                      ev("closed", "SOON-1", datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))])
        wait_for(lambda: card(driver, "SOON-1") is None, timeout=30)  # closed cases drop off

        # an open case far from its deadline gets its overdue-risk tag from scoring's sweep (rules §12),
        # once the city has a history to learn from: 30 cases of last month, each disposed within its limit
        # (before its 80% mark: no alert of theirs joins the ones this test counts)
        history = []
        for i in range(30):
            case, hours = f"PAST-{i:02d}", 1 + i  # 1 to 30 calendar hours: at most 12 working hours of 24
            history += [ev("reported", case, "2026-11-09 09:00", description="路灯不亮"),
                        ev("dispatched", case, "2026-11-09 09:10", unit="U-HW-LP",
                           time_limit={"value": 3, "unit": "working_days"}),
                        ev("disposed", case, (datetime(2026, 11, 9, 9, 10) + timedelta(hours=hours)).strftime(
                            "%Y-%m-%d %H:%M"), unit="U-HW-LP"),
                        ev("closed", case, (datetime(2026, 11, 9, 9, 40) + timedelta(hours=hours)).strftime(
                            "%Y-%m-%d %H:%M"))]
        post(intake, history)
        started = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        post(intake, [ev("reported", "RISK-1", started, description="路灯不亮", address="星桥街道 6 号"),
                      ev("dispatched", "RISK-1", started, unit="U-HW-LP",
                         time_limit={"value": 3, "unit": "working_days"})])
        wait_for(lambda: shows(driver, "RISK-1", "超期风险"), timeout=60)
        from selenium.webdriver.support.select import Select

        Select(driver.find_element("id", "order")).select_by_value("risk")  # the feed again, in the server's order

        def shown_order() -> list[str]:  # read in one script: a push may rebuild the cards between two calls
            return list(driver.execute_script(
                "return [...document.querySelectorAll('article.case')].map((a) => a.dataset.caseId)"))

        wait_for(lambda: shown_order() == ["OPEN-9", "RISK-1"], timeout=20)  # the overdue first, then by risk
        driver.save_screenshot(str(SHOTS / "unit-board-risk-360.png"))
        driver.set_window_size(1280, 800)
        driver.save_screenshot(str(SHOTS / "unit-board-risk-1280.png"))
        driver.set_window_size(360, 780)
        risk = httpx.get(f"{stack.running['scoring'].url}/v1/units/U-HW-LP/risk",
                         headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert {c["case_id"] for c in risk["cases"]} == {"OPEN-9", "RISK-1"} and risk["cases"][0]["p_late"] == 1.0

        driver.get(f"{notify}/board?key=test-operator-key")  # an old link: the key is dropped, unused
        wait_for(lambda: driver.find_element("id", "login").is_displayed(), timeout=20)
        assert "key=" not in driver.current_url
        driver.find_element("id", "secret").send_keys("test-platform-key")  # not an operator
        driver.find_element("css selector", "#login button").click()
        wait_for(lambda: "没有操作员权限" in driver.find_element("id", "status").text, timeout=10)
        driver.save_screenshot(str(SHOTS / "centre-sign-in.png"))
        driver.find_element("id", "secret").send_keys("test-operator-key")
        driver.find_element("css selector", "#login button").click()
        wait_for(lambda: shows(driver, "OPEN-9", "临平街道环卫所"), timeout=20)  # the command centre sees the unit
        cookie = driver.get_cookie("caseflow_board")
        assert cookie and cookie["httpOnly"] and "test-operator-key" not in cookie["value"]
        assert driver.execute_script("return document.cookie") == ""  # out of the page's scripts' reach
        assert httpx.get(f"{notify}/v1/board/feed").status_code == 401  # no cookie, no key: nothing
        assert httpx.get(f"{notify}/v1/board", headers=KEY).status_code == 403  # operators only
        driver.save_screenshot(str(SHOTS / "centre-board.png"))

        # the wall for the big screen, signed in by the same cookie: nothing to scroll at 1920 x 1080
        assert httpx.get(f"{notify}/v1/board/wall").status_code == 401
        driver.set_window_size(1920, 1080)
        driver.get(f"{notify}/board/wall")
        wait_for(lambda: "临平街道环卫所" in driver.find_element("id", "units").text, timeout=20)
        tiles = driver.find_element("id", "tiles").text
        assert "已超期" in tiles and "今日升级" in tiles
        inner = driver.execute_script("return [document.documentElement.scrollHeight, window.innerHeight]")
        assert inner[0] <= inner[1], inner
        wall = httpx.get(f"{notify}/v1/board/wall", headers={"X-API-Key": "test-operator-key"}).json()
        assert wall["totals"]["open"] >= 1 and wall["units"][0]["name"] == "临平街道环卫所"
        assert wall["regions"][0]["name"] == "临平街道"  # the units file's name, not the id
        driver.save_screenshot(str(SHOTS / "centre-wall-1920.png"))
    finally:
        driver.quit()

    wait_for(lambda: any(path == "/unit" for path, _, _ in got), timeout=30)
    assert all(ok for _, _, ok in got)
    unit_alerts = [a for path, body, _ in got if path == "/unit" for a in body.get("alerts", [body])]
    assert {a["case_id"] for a in unit_alerts} == {"OPEN-9", "SOON-1"}
    told = next(a for a in unit_alerts if a["case_id"] == "OPEN-9" and a["type"] == "overdue")
    assert told["case"]["description"] == "暴露垃圾，堆积约两平方米"  # the case's facts ride with its alerts
    assert told["case"]["address"] == "临平大道 118 号东侧" and told["limit_kind"] == "working"
    assert told["deadline"].startswith("2026-11-03T11:30")
    assert len({a["alert_id"] for a in unit_alerts}) == len(unit_alerts)  # nothing twice

    alerts = httpx.get(f"{notify}/v1/units/U-HW-LP/alerts", headers=KEY).json()["alerts"]
    warning = next(a for a in alerts if a["type"] == "deadline_warning")
    assert httpx.post(f"{notify}/v1/alerts/{warning['alert_id']}/ack", headers={"Authorization": "Bearer other-token"}
                      ).status_code == 403
    assert httpx.post(f"{notify}/v1/alerts/{warning['alert_id']}/ack", headers={"Authorization": f"Bearer {TOKEN}"}
                      ).json()["acked_by"] == "unit:U-HW-LP"

    def escalations() -> list[dict]:  # type: ignore[type-arg]
        sent = [a for path, b, _ in got if path == "/leadership" for a in b.get("alerts", [b])]
        return [a for a in sent if a.get("escalated_from")]

    escalated = wait_for(escalations, timeout=30)
    assert all(a["level"] == 2 and a["type"] == "overdue" for a in escalated)
    acked = {warning["alert_id"]}
    assert not acked & {a["escalated_from"] for a in escalated}

    silence = {"unit": "U-HW-LP", "until": "2030-01-01T00:00:00+08:00", "reason": "整改中"}
    assert httpx.post(f"{notify}/v1/silences", json=silence, headers=KEY).status_code == 403
    made = httpx.post(f"{notify}/v1/silences", json=silence, headers=OPERATOR)
    assert made.status_code == 200 and made.json()["created_by"] == "operator"
    listed = httpx.get(f"{notify}/v1/silences", headers=KEY).json()["silences"]
    assert [(s["unit"], s["reason"]) for s in listed] == [("U-HW-LP", "整改中")]
    wrong = httpx.get(f"{notify}/v1/units/U-HW-LP/feed", headers={"Authorization": "Bearer guess-" + TOKEN})
    assert wrong.status_code == 403 and TOKEN not in wrong.text
    logs = "".join(svc.log_path.read_text(errors="replace") for svc in stack.running.values())
    for secret in (SECRET, TOKEN, "other-token", "test-platform-key", "test-operator-key"):
        assert secret not in logs, "a secret reached the logs"
    deliveries = httpx.get(f"{notify}/v1/deliveries", params={"case_id": "OPEN-9"}, headers=KEY).json()
    assert deliveries["deliveries"] and all(d["attempts_detail"] for d in deliveries["deliveries"]
                                            if d["status"] == "delivered")
