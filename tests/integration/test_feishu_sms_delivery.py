"""Feishu custom bots and an SMS gateway, each one module under caseflow_notify/kinds/, delivered by the
same worker on real PostgreSQL against stand-ins that enforce their documented rules
(tools/standin_feishu_sms.py): Feishu's signature, keyword, 20 KB body, 100 a minute and 5 a second;
the gateway's 5 segments and one message a minute per number; refusals handled like the other vendors."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import asyncpg

from caseflow.instants import SHANGHAI
from caseflow_notify.channels import parse_routing
from tests.integration.test_robot_delivery import alert, config, drain, pool, receive, robots, statuses
from tools.robot_standins import RobotStandins

__all__ = ["pool", "robots"]  # fixtures
SECRET = "feishu-signing-secret"


def per_second(robots: RobotStandins, vendor: str) -> int:
    times = sorted(r.at for r in robots.accepted if r.vendor == vendor)
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


async def test_feishu_takes_a_burst_signed_with_its_keyword_never_over_five_a_second(
        pool: asyncpg.Pool, robots: RobotStandins) -> None:
    url = robots.feishu("fs1", SECRET, keyword="城管")
    routing = parse_routing({"units": [
        {"id": u, "name": f"单位{u}", "class": 1,
         "channels": [{"type": "feishu", "url": url, "secret": SECRET, "keyword": "城管"}]} for u in ("U1", "U2")]})
    alerts = [alert(i, u, level=1 + i % 3, description="井盖破损，" * 60) for u in ("U1", "U2") for i in range(60)]
    await receive(pool, routing, alerts)
    await pool.execute("UPDATE notify_deliveries SET solo = true WHERE alert_id LIKE '%-1_'")  # more messages
    await drain(pool, config(routing), 40)
    assert robots.refused == []
    assert await statuses(pool) == {"delivered": 120}
    assert len(robots.accepted) > 5 and per_second(robots, "feishu") <= 5
    shown = "\n".join(robots.texts("fs1"))
    assert all(a["case_id"] in shown for a in alerts) and "临平大道 118 号东侧" in shown
    post = robots.accepted[0].body["content"]["post"]["zh_cn"]
    links = [e["href"] for p in post["content"] for e in p if e["tag"] == "a"]
    assert post["title"].startswith("城管案件告警") and any(h.startswith("https://cg.example.gov.cn/") for h in links)


async def test_feishu_refusals_are_read_as_feishu_means_them(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    keyword_bot, signed_bot, busy_bot = robots.feishu("kw", keyword="督办提醒"), robots.feishu("sg", SECRET), \
        robots.feishu("busy")
    centre = robots.wecom("centre")
    robots.sent_before("feishu:busy", [10.0] * 100)  # another sender used the bot's minute
    routing = parse_routing({"units": [{"id": "U1", "name": "临平环卫所", "class": 1, "channels": [
        {"type": "feishu", "url": keyword_bot},  # the bot wants a keyword we were not told
        {"type": "feishu", "url": signed_bot, "secret": "wrong-secret"},
        {"type": "feishu", "url": busy_bot}]}],
        "command_centre": {"channels": [{"type": "wecom", "url": centre}]}})
    await receive(pool, routing, [alert(1)])
    await drain(pool, config(routing), 4)
    rows = {r["receiver"]: r for r in await pool.fetch("SELECT * FROM notify_deliveries WHERE alert_id = 'AU1-1'")}
    assert (rows["U1:unit:0"]["status"], rows["U1:unit:0"]["vendor_code"]) == ("failed", 19024)
    assert (rows["U1:unit:1"]["status"], rows["U1:unit:1"]["vendor_code"]) == ("failed", 19021)
    assert (rows["U1:unit:2"]["status"], rows["U1:unit:2"]["vendor_code"]) == ("pending", 11232)  # waited out
    blocked = await pool.fetchval("SELECT blocked_until FROM notify_robots WHERE robot = 'feishu:busy'")
    assert blocked > datetime.now(SHANGHAI) + timedelta(seconds=50) and rows["U1:unit:2"]["next_at"] >= blocked
    told = robots.texts("centre")
    assert len(told) == 1 and "19024" in told[0] and "19021" in told[0] and "11232" not in told[0]


async def test_feishu_bad_request_goes_again_alone_then_is_reported(pool: asyncpg.Pool,
                                                                    robots: RobotStandins) -> None:
    url, centre = robots.feishu("small"), robots.wecom("centre")
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "channels": [{"type": "feishu", "url": url}]}],
                             "command_centre": {"channels": [{"type": "wecom", "url": centre}]}})
    await receive(pool, routing, [alert(i, description="道路破损" * 40) for i in range(40)])
    await drain(pool, config(routing), 10)
    assert robots.refused == [] and await statuses(pool) == {"delivered": 40}  # packed within 20 KB: never refused


async def test_sms_is_plain_text_and_one_a_minute_per_number(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    gateway = robots.sms_gateway("KEY1")
    routing = parse_routing({"units": [{"id": "U1", "name": "临平环卫所", "class": 1, "channels": [
        {"type": "sms", "url": gateway, "secret": "KEY1", "to": "13800000001"}]}]})
    await receive(pool, routing, [alert(1), alert(2)])
    await drain(pool, config(routing), 5)
    assert robots.refused == [] and await statuses(pool) == {"delivered": 2}
    [text] = robots.texts()
    assert len(text) <= 335 and "###" not in text and "**" not in text and "](" not in text
    assert "C-U1-1" in text and "C-U1-2" in text and "临平环卫所" in text
    await receive(pool, routing, [{**alert(3), "alert_id": "AU1-3"}])
    await drain(pool, config(routing), 2)
    row = await pool.fetchrow("SELECT status, next_at FROM notify_deliveries WHERE alert_id = 'AU1-3'")
    sent_at = robots.accepted[0].at
    assert robots.refused == [] and row["status"] == "pending"  # held by us, not refused by the gateway
    assert row["next_at"].timestamp() >= sent_at + 59


async def test_sms_refusals_fail_and_tell_the_command_centre(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    gateway, centre = robots.sms_gateway("KEY1"), robots.wecom("centre")
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "channels": [
        {"type": "sms", "url": gateway, "secret": "revoked-key", "to": "13800000001"}]}],
        "command_centre": {"channels": [{"type": "wecom", "url": centre}]}})
    await receive(pool, routing, [alert(1)])
    await drain(pool, config(routing), 5)
    row = await pool.fetchrow("SELECT status, vendor_code FROM notify_deliveries WHERE alert_id = 'AU1-1'")
    assert (row["status"], row["vendor_code"]) == ("failed", 1003)
    await asyncio.sleep(0)
    assert any("通道拒收" in t and "sms 1003" in t for t in robots.texts("centre"))
