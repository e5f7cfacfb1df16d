"""Robot messages (pure): one entry per case, most urgent first, every message within its kind's limits
(DingTalk, WeCom, Feishu, SMS) for any text (long, escaped, emoji, line separators), every alert in
exactly one message; hostile platform text reaches no kind as markup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.access.links import read_link_token
from caseflow.contract.alert import AlertMessage, AlertType, CaseFacts, Reason
from caseflow.domain.rules import Rules
from caseflow.instants import SHANGHAI
from caseflow_notify import content, messages
from caseflow_notify.kinds import feishu, sms
from caseflow_notify.kinds.base import Channel, Text
from caseflow_notify.kinds.registry import kind_of
from tests.support.events import ms

NOW = ms("2026-11-30 16:00")
CHANNELS = [Channel("wecom", "https://robot/send?key=k"), Channel("dingtalk", "https://robot/send?access_token=t",
                                                                  "SEC", "城管"),
            Channel("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/h1", "SEC", "城管"),
            Channel("sms", "https://sms.example/send", "KEY", to="13800000000")]


def fits(channel: Channel):  # type: ignore[no-untyped-def]
    return kind_of(channel.type).fits(channel)


def sent(channel: Channel, title: str, text: str) -> tuple[bytes, str]:
    """The request's body and the text a person reads, as the vendor shows it."""
    body = kind_of(channel.type).render(channel, Text(title, text), NOW).body
    doc = orjson.loads(body)
    if channel.type == "dingtalk":
        return body, doc["markdown"]["title"] + "\n" + doc["markdown"]["text"]
    if channel.type == "wecom":
        return body, doc["markdown"]["content"]
    if channel.type == "feishu":
        return body, feishu.post_text(doc) or ""
    return body, doc["text"]


def alert(n: int, case: str, level: int, kind: str = "overdue", description: str = "暴露垃圾",
          deadline: str = "2026-11-30T13:45:00+08:00", limit_kind: str = "working", **more: Any) -> AlertMessage:
    reason = f"overdue level {level}" if level else "80% of the limit elapsed"
    return msgspec.convert({
        "alert_id": f"a{n}", "type": kind, "case_id": case, "unit": "U1", "level": level,
        "due_at": "2026-11-30T15:00:00+08:00", "reason": reason, "deadline": deadline,
        "limit_kind": limit_kind, "case": {"description": description, "address": "临平大道 118 号",
                                            "category": "event", "major": "01", "minor": "05"}, **more},
        AlertMessage)


def ctx(rules: Rules) -> content.Context:
    return content.Context(NOW, rules.calendar, {"U1": "临平环卫所"}, content.Links("https://p/{case_id}", ""))


def test_one_entry_per_case_with_its_most_urgent_level(rules: Rules) -> None:
    alerts = [alert(1, "C1", 1), alert(2, "C1", 2), alert(3, "C2", 0, "deadline_warning"), alert(4, "C3", 3)]
    entries = content.entries_of(alerts)
    assert [(e.case_id, content.level_name(e.lead), e.alert_ids) for e in entries] == [
        ("C3", "三级督办", ("a4",)), ("C1", "二级", ("a2", "a1")), ("C2", "预警", ("a3",))]


def test_a_case_reads_as_a_person_would_say_it(rules: Rules) -> None:
    [draft] = messages.pack(content.entries_of([alert(1, "YH-1", 1)]), ctx(rules), fits(CHANNELS[0]))
    assert "#### 【一级】YH-1" in draft.text
    assert "- 问题：暴露垃圾（事件 01-05）" in draft.text and "- 地址：临平大道 118 号" in draft.text
    # deadline 13:45 on a Monday, lunch break until 14:00: two working hours overdue at 16:00
    assert "- 处置时限：11月30日 13:45，已超期 2小时00分（工作时间）" in draft.text
    assert "[查看案件](https://p/YH-1)" in draft.text and "级别: " not in draft.text


def test_local_times_and_durations() -> None:
    assert content.local_time(int(datetime(2026, 11, 30, 22, 53, tzinfo=SHANGHAI).timestamp() * 1000)) == \
        "11月30日 22:53"
    assert [content.duration_zh(m * 60_000) for m in (0, 5, 135, 60 * 24 * 2 + 60)] == \
        ["0分钟", "5分钟", "2小时15分", "2天1小时"]


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=3000) | st.sampled_from(
    ["", " ", "\\\\\"", "\u2028\u2029", "😀" * 2000, "井盖" * 5000, "\n\n#### 假标题\n- [x](y)"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3), TEXT), min_size=1, max_size=60),
       st.sampled_from(CHANNELS))
def test_every_message_fits_and_every_alert_goes_once(rules: Rules, rows: list[tuple[int, int, str]],
                                                      channel: Channel) -> None:
    alerts = [alert(i, f"C{case}", level, "overdue" if level else "deadline_warning", text)
              for i, (case, level, text) in enumerate(rows)]
    drafts = messages.pack(content.entries_of(alerts), ctx(rules), fits(channel))
    told = [a for d in drafts for a in d.alert_ids]
    assert sorted(told) == sorted(a.alert_id for a in alerts)
    for d in drafts:
        body, shown = sent(channel, d.title, d.text)
        if channel.type == "dingtalk":
            assert len(body) <= 20_000 and "城管" in shown
        elif channel.type == "wecom":
            assert len(shown.encode()) <= 4_096
        elif channel.type == "feishu":
            assert len(body) <= 20 * 1024 and "城管" in shown
        else:
            assert sms.segments(shown) <= 5 and len(shown) <= 335
    by_id = {a.alert_id: a for a in alerts}
    ranks = [min(content.urgency(by_id[i]) for i in d.alert_ids) for d in drafts]
    assert ranks == sorted(ranks)  # the most urgent go first


def test_an_overdue_supervision_order_reads_as_such(rules: Rules) -> None:
    late = alert(9, "DB-1", 2, reason="supervision deadline passed", deadline="2026-11-30T10:30:00+08:00",
                 limit_kind="calendar", deadline_of="supervision")
    [draft] = messages.pack(content.entries_of([late]), ctx(rules), fits(CHANNELS[0]))
    assert "- 督办时限：11月30日 10:30，已超期 5小时30分" in draft.text and "工作时间" not in draft.text
    assert "- 原因：督办时限已到，仍未处置" in draft.text


HOSTILE = {
    "link": "[点我领取补贴](http://evil.example/x)",
    "image": "![](http://tracker.example/pixel.png?u=1)",
    "bare link": "详见 https://evil.example/a",
    "mention": "@all @所有人 <@zhangsan> 快看",
    "heading": "第一行\n# 大标题\n> 引用\n- 列表项\n---",
    "html": '<font color="warning">红字</font><img src=x onerror=alert(1)><a href="http://e">a</a>',
    "line separators": "一\u2028# 二\u2029> 三\r\n- 四",
    "overlong": "长" * 5000,
}


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=400))
@settings(max_examples=300, deadline=None)
def test_untrusted_text_is_inert_for_any_input(text: str) -> None:
    from caseflow_notify.untrusted import inert

    found = inert(text, 120)
    assert len(found) <= 120
    assert not set(found) & set("[]<>@`|\r\n\t\u2028\u2029\x0b\x0c\x85") and "://" not in found


def test_hostile_platform_text_reaches_no_robot_as_markup(rules: Rules) -> None:
    """Description, address, case id, codes, supervision reason and the unit's name from the platform:
    no link, image, mention, heading, quote, list or HTML of theirs survives in either robot's message."""
    for name, text in HOSTILE.items():
        hostile = msgspec.structs.replace(alert(1, f"C1{text[:30]}", 3, "supervision"), case=CaseFacts(
            description=text, address=text, category="event", major=text[:8], minor="05", supervision_reason=text))
        context = content.Context(NOW, rules.calendar, {"U1": text}, content.Links("https://p/{case_id}",
                                                                                  "https://b/{unit}?t=1"))
        for channel in CHANNELS:
            for draft in messages.pack(content.entries_of([hostile]), context, fits(channel)):
                body, shown = sent(channel, draft.title, draft.text)
                if channel.type == "feishu":
                    assert_feishu_inert(orjson.loads(body), name)
                    continue
                if channel.type == "sms":
                    assert "<" not in shown and "@" not in shown, (name, shown)
                    assert "://" not in shown.replace("https://b/", ""), (name, shown)
                    continue
                shown = shown.split("\n", 1)[1] if channel.type == "dingtalk" else shown  # the title line
                ours = {"[查看案件](https://p/", "[打开本单位案件看板](https://b/"}
                rest = shown
                for link in ours:
                    rest = rest.replace(link, "")
                assert "](" not in rest and "![" not in rest and "<" not in shown and "@" not in shown, (name, shown)
                assert "://" not in rest, (name, shown)  # no bare link of theirs either
                starts = ("#", ">", "-", "*", "+", "---", "<", "!")
                assert all(line.startswith(("### ", "#### 【", "- ", "**", "[查看案件](", "[打开本单位"))
                           for line in shown.splitlines() if line), (name, shown)  # every line begins as ours
                assert all(not line[2:].startswith(starts) for line in shown.splitlines() if line.startswith("- "))
                assert all(len(line) <= 400 for line in shown.splitlines()), (name, "a line runs away")
                case_link = next(line for line in shown.splitlines() if "[查看案件](" in line)
                assert ")" not in case_link.split("](", 1)[1][:-1], (name, case_link)  # the id cannot end our link


def assert_feishu_inert(doc: dict[str, Any], name: str) -> None:
    """A post holds only text and our own links: no image, mention or link of theirs."""
    paragraphs = doc["content"]["post"]["zh_cn"]["content"]
    for element in (e for para in paragraphs for e in para):
        assert element["tag"] in ("text", "a"), (name, element)
        if element["tag"] == "a":
            assert element["href"].startswith(("https://p/", "https://b/")), (name, element)
            assert element["text"] in ("查看案件", "打开本单位案件看板"), (name, element)
        else:
            assert "://" not in element["text"] and "<" not in element["text"], (name, element)


def test_links_to_our_pages_carry_the_units_own_expiring_token_and_others_do_not(rules: Rules) -> None:
    links = content.Links("https://platform.example/{case_id}", "https://cf.example/units/{unit}", "s3cret", 3600,
                          ("https://cf.example/", "https://scoring.example/"))
    context = content.Context(NOW, rules.calendar, {"U1": "临平环卫所"}, links)
    [draft] = messages.pack(content.entries_of([alert(1, "C1", 1)]), context, fits(Channel("dingtalk", "u")))
    board = next(line for line in draft.text.splitlines() if "打开本单位案件看板" in line)
    token = board.split("#token=", 1)[1].rstrip(")")
    grant = read_link_token(token, "s3cret")
    assert grant is not None and grant.unit == "U1" and grant.expires_s == NOW // 1000 + 3600
    assert "#token=" not in next(line for line in draft.text.splitlines() if "查看案件" in line)  # the platform's
    assert links.for_unit("https://elsewhere.example/units/U1/standing", "U1", NOW).endswith("/standing")
    notice = msgspec.structs.replace(alert(2, "", 0, "notice"), reason="finding_approved", detail="扣 2 分",
                                     link="https://scoring.example/units/U1/standing")
    [told] = messages.pack(content.entries_of([notice]), context, fits(Channel("dingtalk", "u")))
    standing = next(line for line in told.text.splitlines() if "考核看板" in line)
    assert read_link_token(standing.split("#token=", 1)[1].rstrip(")"), "s3cret") == grant  # same instant


def test_a_robot_message_sent_again_after_a_crash_says_so(rules: Rules) -> None:
    """A robot cannot drop a repeat by id: the people reading it are told it may be one."""
    first = alert(1, "C1", 1)
    again = msgspec.structs.replace(first, redelivery=True)
    for channel in CHANNELS:
        [once] = messages.pack(content.entries_of([first]), ctx(rules), fits(channel))
        [twice] = messages.pack(content.entries_of([again]), ctx(rules), fits(channel))
        assert messages.AGAIN not in sent(channel, once.title, once.text)[1]
        assert messages.AGAIN in sent(channel, twice.title, twice.text)[1]
    told = messages.digest([again], ["C1"], ctx(rules), fits(CHANNELS[0]))
    assert messages.AGAIN in told.text


def test_a_pre_warning_is_named_apart_from_the_ordinary_warning(rules: Rules) -> None:
    risky = AlertMessage(alert_id="r1", type=AlertType.DEADLINE_WARNING, unit="U1", level=0,
                         due_at="2026-10-09T10:00:00+08:00", reason=Reason.OVERDUE_RISK, case_id="C-9", assignment=1,
                         detail="超期风险 72%：已用时限 30%；本单位用时到此仍未处置的 41 件中 30 件超过本案时限才处置")
    lines = content.entry_lines(content.entries_of([risky])[0], ctx(rules), True)
    assert lines[0] == "#### 【风险预警】C-9"
    assert any("预计可能超期（超期风险 72%：已用时限 30%" in line for line in lines)  # said once
    [draft] = messages.pack(content.entries_of([risky]), ctx(rules), lambda title, text: True)
    assert "**风险预警 1 件**" in draft.text and "即将超期" not in draft.text  # 70% of its time still to run
