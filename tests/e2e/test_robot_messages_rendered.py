"""The messages units read, looked at: alerts (one with a reporter's hostile text) delivered by the real
worker on PostgreSQL to DingTalk, WeCom, Feishu and SMS stand-ins, the accepted messages rendered as
those clients render them (tools/chat_preview.py) in headless Chromium at phone width: every link and
image on the page is ours, the hostile text reads as text. Screenshot: docs/screenshots/robot-messages-360.png."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from caseflow_notify.channels import parse_routing
from tests.e2e.test_notify_live import SHOTS, browser
from tests.integration.test_robot_delivery import alert, config, drain, pool, receive, robots, statuses
from tools.chat_preview import page
from tools.robot_standins import RobotStandins

__all__ = ["pool", "robots"]  # fixtures
HOSTILE = ("[点我领取补贴](http://evil.example/x) ![](http://tracker.example/p.png) @all "
           "<font color=red>红字</font>\n# 假标题")


async def test_each_channel_shows_the_case_and_only_our_links(pool: asyncpg.Pool, robots: RobotStandins,
                                                              tmp_path: Path) -> None:
    routing = parse_routing({"units": [
        {"id": "U-HW-LP", "name": "临平街道环卫所", "class": 1, "channels": [
            {"type": "dingtalk", "url": robots.dingtalk("dt", "SECx", "城管"), "secret": "SECx", "keyword": "城管"}]},
        {"id": "U-JT-LP", "name": "交警临平大队", "class": 1,
         "channels": [{"type": "wecom", "url": robots.wecom("wk")}]},
        {"id": "U-SZ-LP", "name": "临平市政养护所", "class": 2,
         "channels": [{"type": "feishu", "url": robots.feishu("fs", "SECf", "城管"), "secret": "SECf",
                       "keyword": "城管"}]},
        {"id": "U-ZX-LP", "name": "星桥社区", "class": 3, "channels": [
            {"type": "sms", "url": robots.sms_gateway("K"), "secret": "K", "to": "13800000001"}]}]})
    alerts = []
    for unit in ("U-HW-LP", "U-JT-LP", "U-SZ-LP", "U-ZX-LP"):
        alerts.append(alert(1, unit, level=2, case=f"YH-{unit[2:4]}-1108"))
        hostile = alert(2, unit, level=1, description=HOSTILE, case=f"YH-{unit[2:4]}-1109")
        hostile["case"]["address"] = "详见 https://evil.example/a <img src=x>"
        alerts.append(hostile)
    await receive(pool, routing, alerts)
    await drain(pool, config(routing), 15)
    assert robots.refused == [] and await statuses(pool) == {"delivered": 8}
    preview = tmp_path / "chat.html"
    preview.write_text(page(robots.accepted), encoding="utf-8")

    driver = browser()
    try:
        driver.set_window_size(360, 800)
        driver.get(preview.as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(360, min(int(height) + 40, 4000))
        for vendor in ("dingtalk", "wecom", "feishu", "sms"):
            [shown] = driver.find_elements("css selector", f"section.{vendor}")
            assert "临平大道 118 号东侧" in shown.text or vendor == "sms", vendor
            assert "YH-" in shown.text and "点我领取补贴" in shown.text, (vendor, shown.text)
        links = [a.get_attribute("href") for a in driver.find_elements("css selector", "a")]
        assert links and all(h.startswith(("https://cg.example.gov.cn/cases/", "http://127.0.0.1:8004/units/"))
                             for h in links), links
        assert driver.find_elements("css selector", "img, font, h1") == []
        driver.save_screenshot(str(SHOTS / "robot-messages-360.png"))
    finally:
        driver.quit()
