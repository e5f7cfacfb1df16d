"""Delivery to DingTalk and WeCom robots, against local stand-ins that enforce the vendors' documented
limits and answer HTTP 200 with an errcode (tools/robot_standins.py), on real PostgreSQL: groups
split within the byte limits, robots shared by units kept under 20 a minute, throttling honoured,
permanent refusals surfaced to the command centre, nothing counted delivered that a robot refused."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from caseflow.domain.calendar import WorkingCalendar
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow_notify import consumers
from caseflow_notify.channels import Routing, parse_routing
from caseflow_notify.compose import DeliveryConfig
from caseflow_notify.content import Links
from caseflow_notify.deliver import deliver_catch_up, deliver_due
from caseflow_notify.retry import RetryPolicy
from caseflow_notify.store.rounds import PgRounds
from tools.robot_standins import RobotStandins

SECRET = "SECdingtalk-secret"
NOW = datetime.now(SHANGHAI)


@pytest.fixture
def robots() -> Iterator[RobotStandins]:
    standins = RobotStandins().start()
    yield standins
    standins.stop()


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    p = await db.connect(settings.database_url)
    yield p
    await p.close()


def alert(n: int, unit: str = "U1", level: int = 1, kind: str = "overdue", minutes_ago: float = 5,
          description: str = "暴露垃圾，路面堆积约两平方米，需清运", case: str | None = None) -> dict[str, Any]:
    due = NOW - timedelta(minutes=minutes_ago)
    return {"alert_id": f"A{unit}-{n}", "type": kind, "case_id": case or f"C-{unit}-{n}", "unit": unit,
            "level": level, "due_at": due.isoformat(), "reason": f"overdue level {level}", "recipients": ["unit"],
            "deadline": (due - timedelta(hours=1)).isoformat(), "limit_kind": "calendar",
            "case": {"description": description, "address": "临平大道 118 号东侧", "category": "event",
                     "major": "01", "minor": "05"}}


async def receive(pool: asyncpg.Pool, routing: Routing, alerts: list[dict[str, Any]],
                  catch_up: timedelta | None = None) -> None:
    records = [SimpleNamespace(value=orjson.dumps(a), key=a["unit"].encode(), headers=[], offset=i)
               for i, a in enumerate(alerts)]
    async with pool.acquire() as conn, conn.transaction():
        await consumers.alerts(routing, catch_up)(conn, records)


def config(routing: Routing, **kw: Any) -> DeliveryConfig:
    return DeliveryConfig(routing, RetryPolicy(first_delay=0.2, give_up_after=600), WorkingCalendar(),
                          Links("https://cg.example.gov.cn/cases/{case_id}", "http://127.0.0.1:8004/units/{unit}"),
                          window=timedelta(0), **kw)


async def drain(pool: asyncpg.Pool, cfg: DeliveryConfig, seconds: float, catch_up: bool = False) -> None:
    """Delivery rounds until nothing is pending (or sending), at most `seconds`."""
    async with httpx.AsyncClient(timeout=5) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await deliver_due(PgRounds(pool), cfg, client, random.Random(1))
            if catch_up:
                await deliver_catch_up(PgRounds(pool), cfg, client, random.Random(1))
            if not await pool.fetchval("SELECT count(*) FROM notify_deliveries WHERE status IN ('pending', 'sending')"):
                return
            await asyncio.sleep(0.1)


async def statuses(pool: asyncpg.Pool) -> dict[str, int]:
    return {r["status"]: r["n"] for r in await pool.fetch(
        "SELECT status, count(*) AS n FROM notify_deliveries GROUP BY status")}


def delivered_ids_in(robots: RobotStandins) -> set[str]:
    """Alert ids named (by case) in the messages the robots accepted."""
    return {line for text in robots.texts() for line in text.split("\n")}


async def test_an_oversize_group_is_split_within_the_limits_most_urgent_first(
        pool: asyncpg.Pool, robots: RobotStandins) -> None:
    wecom, ding = robots.wecom("wk1"), robots.dingtalk("dt1", SECRET, keyword="城管")
    routing = parse_routing({"units": [
        {"id": "U1", "name": "临平环卫所", "class": 1, "channels": [{"type": "wecom", "url": wecom}]},
        {"id": "U2", "name": "交警临平大队", "class": 1,
         "channels": [{"type": "dingtalk", "url": ding, "secret": SECRET, "keyword": "城管"}]}]})
    long_text = "井盖破损，" * 120 + "\\ \" \u2028 😀"
    alerts = [alert(i, "U1", level=1 + i % 3, description=long_text) for i in range(40)]
    alerts += [alert(i, "U2", level=1 + i % 3, description=long_text * 3) for i in range(40)]
    await receive(pool, routing, alerts)
    await drain(pool, config(routing), 30)
    assert robots.refused == []
    assert await statuses(pool) == {"delivered": 80}
    wecom_msgs = [r for r in robots.accepted if r.vendor == "wecom"]
    ding_msgs = [r for r in robots.accepted if r.vendor == "dingtalk"]
    assert len(wecom_msgs) > 1 and len(ding_msgs) > 1
    assert all(len(r.body["markdown"]["content"].encode()) <= 4096 for r in wecom_msgs)
    assert all(r.size <= 20_000 for r in ding_msgs)
    named = "\n".join(robots.texts())
    assert all(a["case_id"] in named for a in alerts)  # every case told, once per message set
    # message 1 of N carries the most urgent (messages may reach the robot in any order under load)
    first = next(t for t in robots.texts("wk1") if "(1/" in t.splitlines()[0])
    assert "【三级督办】" in first and "【一级】" not in first
    assert "临平环卫所" in first and "临平大道 118 号东侧" in first and "已超期" in first
    assert "https://cg.example.gov.cn/cases/C-U1-" in first


async def test_robots_shared_by_units_stay_under_twenty_a_minute(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    shared = robots.wecom("shared")
    robots.sent_before("shared", [50.0] * 15)  # 15 messages taken 50 s ago, by another sender
    await pool.execute("INSERT INTO notify_robot_sends (robot, reserved_at, done_at) "
                       "SELECT 'wecom:shared', now() - interval '50 s', now() - interval '50 s' "
                       "FROM generate_series(1, 15)")
    routing = parse_routing({"units": [{"id": u, "class": 1, "channels": [{"type": "wecom", "url": shared}]}
                                       for u in ("U1", "U2", "U3")]})
    alerts = [alert(i, u) for u in ("U1", "U2", "U3") for i in range(3)]
    await receive(pool, routing, alerts)
    await pool.execute("UPDATE notify_deliveries SET solo = true")  # one message per alert: 9 messages
    began = time.monotonic()
    await drain(pool, config(routing), 40)
    assert robots.refused == [] and await statuses(pool) == {"delivered": 9}
    assert max(robots.most_in_a_minute().values()) <= 20
    assert time.monotonic() - began > 8  # 5 went at once, the other 4 waited for the old ones to age out


async def test_throttling_is_honoured_and_nothing_is_dropped(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    url = robots.dingtalk("busy")
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "channels": [{"type": "dingtalk", "url": url}]}]})
    robots.throttle("busy", 3)  # someone else's burst: the vendor refuses this robot for a while
    await receive(pool, routing, [alert(1)])
    await drain(pool, config(routing), 2)
    assert [c for _, _, c, _ in robots.refused] == [130101]
    blocked = await pool.fetchval("SELECT blocked_until FROM notify_robots WHERE robot = 'dingtalk:busy'")
    assert blocked > datetime.now(SHANGHAI) + timedelta(minutes=9)  # DingTalk blocks for 10 minutes
    row = await pool.fetchrow("SELECT status, vendor_code, next_at FROM notify_deliveries")
    assert (row["status"], row["vendor_code"]) == ("pending", 130101) and row["next_at"] >= blocked
    attempt = await pool.fetchrow("SELECT vendor_code, vendor_message FROM notify_attempts")
    assert attempt["vendor_code"] == 130101 and "too fast" in attempt["vendor_message"]
    await asyncio.sleep(3)  # the vendor's block is over; ours too (as if ten minutes had passed)
    await pool.execute("UPDATE notify_robots SET blocked_until = now(); UPDATE notify_deliveries SET next_at = now()")
    await drain(pool, config(routing), 5)
    assert await statuses(pool) == {"delivered": 1} and len(robots.refused) == 1


async def test_permanent_refusals_fail_and_tell_the_command_centre(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    bad_sign = robots.dingtalk("signed", SECRET)
    centre = robots.wecom("centre")
    routing = parse_routing({"units": [{"id": "U1", "name": "临平环卫所", "class": 1, "channels": [
        {"type": "dingtalk", "url": bad_sign, "secret": "SECwrong"},
        {"type": "wecom", "url": robots.url + "/cgi-bin/webhook/send?key=removed"}]}],
        "command_centre": {"channels": [{"type": "wecom", "url": centre}]}})
    await receive(pool, routing, [alert(1), alert(2)])
    await drain(pool, config(routing), 10)
    rows = {r["receiver"]: r for r in await pool.fetch("SELECT * FROM notify_deliveries WHERE unit = 'U1' "
                                                         "AND alert_id LIKE 'A%'")}
    assert {r["status"] for r in rows.values()} == {"failed"}
    assert rows["U1:unit:0"]["vendor_code"] == 310000 and rows["U1:unit:1"]["vendor_code"] == 93000
    assert sorted(c for _, _, c, _ in robots.refused) == [93000, 310000]  # one try each, no retries
    told = robots.texts("centre")
    assert len(told) == 1 and "通道故障" in told[0] and "310000" in told[0] and "93000" in told[0]


async def test_a_message_the_vendor_finds_too_long_is_sent_again_alert_by_alert(
        pool: asyncpg.Pool, robots: RobotStandins) -> None:
    url = robots.dingtalk("small")
    robots.dingtalk_max_body = 3_000  # stricter than documented: our packing cannot know
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "channels": [{"type": "dingtalk", "url": url}]}]})
    await receive(pool, routing, [alert(i, description="道路破损" * 40) for i in range(8)])
    await drain(pool, config(routing), 10)
    assert [c for _, _, c, _ in robots.refused] == [460101]
    assert await statuses(pool) == {"delivered": 8}
    assert len(robots.accepted) == 8 and all(r.size <= 3_000 for r in robots.accepted)


async def test_history_goes_as_one_digest_and_fresh_alerts_do_not_wait(pool: asyncpg.Pool,
                                                                       robots: RobotStandins) -> None:
    url = robots.wecom("unit")
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "name": "临平环卫所",
                                        "channels": [{"type": "wecom", "url": url}]}]})
    history = [alert(i, minutes_ago=60 * 24 * 3 + i) for i in range(300)]
    history.append({**alert(0, minutes_ago=60 * 24), "alert_id": "R0", "type": "resolved", "level": 0})
    await receive(pool, routing, history, catch_up=timedelta(hours=1))
    await receive(pool, routing, [alert(900, level=2, minutes_ago=0.1)], catch_up=timedelta(hours=1))
    await drain(pool, config(routing), 10, catch_up=True)
    assert robots.refused == [] and await statuses(pool) == {"delivered": 302}
    texts = robots.texts("unit")
    assert len(texts) == 2
    assert "【二级】C-U1-900" in texts[0]  # the fresh alert first
    assert "补发: 301 条历史告警, 其中 299 件仍超期" in texts[1]  # C-U1-0 was resolved


async def test_resolved_reaches_everyone_who_heard_of_the_case(pool: asyncpg.Pool, robots: RobotStandins) -> None:
    unit, leaders, centre = robots.wecom("u"), robots.wecom("lead"), robots.wecom("cc")
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "channels": [{"type": "wecom", "url": unit}],
                                        "leadership_channels": [{"type": "wecom", "url": leaders}]}],
                             "command_centre": {"channels": [{"type": "wecom", "url": centre}]}})
    level_2 = {**alert(1, level=2), "recipients": ["leadership", "command_centre"]}
    await receive(pool, routing, [alert(1, case="C-9"), {**level_2, "alert_id": "L2", "case_id": "C-9"}])
    await drain(pool, config(routing), 5)
    resolved = {**alert(1, case="C-9"), "alert_id": "RES", "type": "resolved", "level": 0,
                "reason": "disposed, returned or closed"}
    await receive(pool, routing, [resolved])
    await drain(pool, config(routing), 5)
    got = await pool.fetch("SELECT receiver FROM notify_deliveries WHERE alert_id = 'RES' AND status = 'delivered'")
    assert sorted(r["receiver"] for r in got) == ["U1:leadership:0", "U1:unit:0", "command_centre:0"]
    assert all("【已处置】C-9" in robots.texts(r)[-1] for r in ("u", "lead", "cc"))


async def test_two_replicas_together_respect_a_robots_minute(settings: Settings, pool: asyncpg.Pool,
                                                             robots: RobotStandins) -> None:
    url = robots.wecom("together")
    routing = parse_routing({"units": [{"id": u, "class": 1, "channels": [{"type": "wecom", "url": url}]}
                                       for u in ("U1", "U2")]})
    await receive(pool, routing, [alert(i, u) for u in ("U1", "U2") for i in range(15)])
    await pool.execute("UPDATE notify_deliveries SET solo = true")  # 30 messages wanted at once
    other = await db.connect(settings.database_url)  # a second notify replica: its own pool and client
    try:
        async with httpx.AsyncClient(timeout=5) as a, httpx.AsyncClient(timeout=5) as b:
            for _ in range(10):
                await asyncio.gather(deliver_due(PgRounds(pool), config(routing), a, random.Random(1)),
                                     deliver_due(PgRounds(other), config(routing), b, random.Random(2)))
                await asyncio.sleep(0.2)
    finally:
        await other.close()
    assert robots.refused == [] and len(robots.accepted) == 20
    assert await statuses(pool) == {"delivered": 20, "pending": 10}
    wait = await pool.fetchval("SELECT min(next_at) - now() FROM notify_deliveries WHERE status = 'pending'")
    assert wait > timedelta(seconds=50)  # they wait for the robot's minute, not retried into a refusal


async def test_history_escalates_into_the_digest_and_fresh_alerts_at_once(pool: asyncpg.Pool,
                                                                         robots: RobotStandins) -> None:
    from caseflow_notify.escalate import escalate_unacknowledged

    routing = parse_routing({"units": [{"id": "U1", "class": 1,
                                        "channels": [{"type": "wecom", "url": robots.wecom("u")}],
                                        "leadership_channels": [{"type": "wecom", "url": robots.wecom("lead")}]}]})
    await receive(pool, routing, [alert(1, minutes_ago=3 * 24 * 60), alert(2, minutes_ago=1)],
                  catch_up=timedelta(hours=1))
    await pool.execute("UPDATE notify_inbox SET received_at = now() - interval '40 minutes'")
    assert await escalate_unacknowledged(PgRounds(pool), routing, timedelta(minutes=30), timedelta(hours=1)) == 2
    rows = await pool.fetch("SELECT i.body->>'escalated_from' AS source, d.catch_up FROM notify_deliveries d "
                            "JOIN notify_inbox i USING (alert_id) WHERE d.receiver = 'U1:leadership:0'")
    assert {r["source"]: r["catch_up"] for r in rows} == {"AU1-1": True, "AU1-2": False}
