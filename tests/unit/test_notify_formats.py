"""notify's pure parts: signatures a receiver can verify, DingTalk's signed URL, WeCom/DingTalk bodies,
routing by recipient role, and the retry policy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import orjson
import pytest

from caseflow.config.schemes import ConfigError
from caseflow_notify.channels import parse_routing
from caseflow_notify.kinds import feishu, sms
from caseflow_notify.kinds.base import Alerts, Channel, Text
from caseflow_notify.kinds.dingtalk import signed_url
from caseflow_notify.kinds.registry import KINDS, kind_of
from caseflow_notify.kinds.webhook import verify
from caseflow_notify.retry import RetryPolicy, next_delay

ALERT = {"alert_id": "a1", "type": "overdue", "case_id": "C1", "unit": "U1", "level": 1,
         "due_at": "2026-11-03T11:30:00+08:00", "reason": "overdue level 1", "recipients": ["unit"]}


def test_webhook_signature_verifies_and_rejects_tampering_and_replays() -> None:
    req = kind_of("webhook").render(Channel("webhook", "http://r/hook", "s3cret"), Alerts([ALERT]), 1_790_000_000_000)
    sig = req.headers["x-caseflow-signature"]
    assert verify("s3cret", sig, req.body, now=1_790_000_010)
    assert not verify("s3cret", sig, req.body + b" ", now=1_790_000_010)
    assert not verify("wrong", sig, req.body, now=1_790_000_010)
    assert not verify("s3cret", sig, req.body, now=1_790_000_000 + 3600)  # stale: a replay
    assert orjson.loads(req.body) == ALERT and req.headers["x-caseflow-alert-id"] == "a1"


def test_dingtalk_signed_url_follows_its_scheme() -> None:
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=T", "SEC", 1_700_000_000_000)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    expected = base64.b64encode(hmac.new(b"SEC", b"1700000000000\nSEC", hashlib.sha256).digest()).decode()
    assert query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]
    assert query["access_token"] == ["T"]


def test_routing_by_role() -> None:
    routing = parse_routing({
        "units": [{"id": "U1", "class": 1, "channels": [{"type": "webhook", "url": "http://u1"}],
                   "leadership_channels": [{"type": "wecom", "url": "http://lead"}]}],
        "command_centre": {"channels": [{"type": "dingtalk", "url": "http://cc"}]}})
    assert [r.id for r in routing.receivers("U1", ["unit"])] == ["U1:unit:0"]
    assert [r.id for r in routing.receivers("U1", ["leadership", "command_centre"])] == [
        "U1:leadership:0", "command_centre:0"]
    assert routing.channel_of("U1:leadership:0") == Channel("wecom", "http://lead")
    assert routing.channel_of("U1:unit:5") is None
    with pytest.raises(ConfigError, match=r"units \(U2\)\.channels\[0\]\.type: unknown channel type 'fax'; "
                                          r"notify knows dingtalk, feishu, sms, webhook, wecom"):
        parse_routing({"units": [{"id": "U2", "class": 1, "channels": [{"type": "fax", "url": "x"}]}]})
    with pytest.raises(ConfigError, match=r"channels\[0\] \(sms\): to must be a mobile number.*secret must be"):
        parse_routing({"units": [{"id": "U2", "class": 1, "channels": [{"type": "sms", "url": "https://g"}]}]})


def test_feishu_signs_as_feishu_documents() -> None:
    channel = Channel("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/abc", "SEC", "城管")
    req = kind_of("feishu").render(channel, Text("城管案件告警：U1", "### 城管案件告警：U1\n**超期 1 件**\n- [查看](https://p/1)"),
                                   1_700_000_000_123)
    doc = orjson.loads(req.body)
    expected = base64.b64encode(hmac.new(b"1700000000\nSEC", b"", hashlib.sha256).digest()).decode()
    assert doc["timestamp"] == "1700000000" and doc["sign"] == expected and doc["msg_type"] == "post"
    post = doc["content"]["post"]["zh_cn"]
    assert post["title"] == "城管案件告警：U1"
    assert post["content"] == [[{"tag": "text", "text": "超期 1 件", "style": ["bold"]}],
                               [{"tag": "a", "text": "查看", "href": "https://p/1"}]]
    assert KINDS["feishu"].robot_key(channel) == "feishu:abc"


@pytest.mark.parametrize(("kind", "status", "body", "outcome"), [
    ("feishu", 200, b'{"code":0,"msg":"success","data":{}}', "delivered"),
    ("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}', "delivered"),
    ("feishu", 200, b'{"code":11232,"msg":"frequency limited"}', "throttled"),
    ("feishu", 200, b'{"code":19021,"msg":"sign match fail"}', "permanent"),
    ("feishu", 200, b'{"code":19024,"msg":"Key Words Not Found"}', "permanent"),
    ("feishu", 200, b'{"code":9499,"msg":"Bad Request"}', "too_long"),
    ("feishu", 200, b'{"code":11205,"msg":"busy"}', "retry"),
    ("sms", 200, b'{"code":0}', "delivered"),
    ("sms", 200, b'{"code":1001,"message":"rate"}', "throttled"),
    ("sms", 200, b'{"code":1003,"message":"bad key"}', "permanent"),
    ("sms", 401, b"", "permanent"),
    ("sms", 503, b"", "retry"),
    ("dingtalk", 200, b'{"errcode":130101,"errmsg":"too fast"}', "throttled"),
    ("wecom", 200, b'{"errcode":40058,"errmsg":"too long"}', "too_long"),
    ("wecom", 200, b"<html>", "retry"),
    ("webhook", 204, b"", "delivered"),
    ("webhook", None, b"", "retry"),
])
def test_each_kind_reads_its_vendors_answers(kind: str, status: int | None, body: bytes, outcome: str) -> None:
    assert KINDS[kind].read_answer(status, body).outcome == outcome


def test_sms_is_plain_text_in_counted_segments() -> None:
    text = ("### 城管案件告警：环卫所\n**超期 1 件**\n[打开本单位案件看板](https://b/U1)\n\n"
            "#### 【一级】C1\n- 地址：临平\n- [查看案件](https://p/C1)")
    assert sms.plain("城管案件告警：环卫所", text) == (
        "城管案件告警：环卫所\n超期 1 件\n打开本单位案件看板 https://b/U1\n【一级】C1\n地址：临平")
    assert [sms.segments("字" * n) for n in (70, 71, 134, 135)] == [1, 2, 2, 3]
    req = kind_of("sms").render(Channel("sms", "https://g/send", "KEY", to="13800000000"), Text("t", "正文"), 0)
    assert orjson.loads(req.body) == {"to": "13800000000", "text": "正文"}
    assert req.headers["authorization"] == "Bearer KEY"
    assert feishu.paragraph("#### 【一级】C1") == [{"tag": "text", "text": "【一级】C1", "style": ["bold"]}]
    assert feishu.paragraph("- 地址：临平") == [{"tag": "text", "text": "· 地址：临平"}]


@pytest.mark.parametrize(("attempt", "status", "retry_after", "elapsed", "expected"), [
    (1, None, None, 0, 0.5),      # timeout: retry after half..all of 1 s (jitter 0 -> half)
    (3, 503, None, 10, 2.0),      # 4 s backoff, jitter 0 -> 2 s
    (2, 429, 30.0, 10, 30.0),     # Retry-After wins when longer
    (2, 408, None, 10, 1.0),
    (1, 410, None, 0, None),      # gone: no retry
    (1, 400, None, 0, None),
    (1, 200, None, 0, None),
    (5, 500, None, 3599, None),   # past give_up_after
    (30, 500, None, 0, 150.0),    # capped at max_delay (300), jitter 0 -> 150
])
def test_retry_policy(attempt: int, status: int | None, retry_after: float | None, elapsed: float,
                      expected: float | None) -> None:
    assert next_delay(RetryPolicy(), attempt, status, retry_after, elapsed, jitter=0.0) == expected


@pytest.mark.parametrize(("unit", "message"), [
    ({"id": "U1", "class": 4}, "units[0] (U1).class: `class` must be 1, 2 or 3"),
    ({"class": 1}, "units[0].id: `id` is required"),
    ({"id": "U1", "class": 1, "channels": [{"type": "dingtalk"}]}, "units[0] (U1).channels[0].url: `url` is required"),
    ({"id": "U1", "class": 1, "quiet_hours": {"start": "22:00"}}, "quiet_hours.end: `end` is required"),
    ({"id": "U1", "class": 1, "quiet_hours": {"start": "25:00", "end": "07:00"}}, 'expected {start: "22:00"'),
    ({"id": "U1", "class": 1, "targets": {"on_time_rate": 95}}, "a fraction between 0 and 1, e.g. 0.95"),
])
def test_a_wrong_units_file_names_the_key_and_the_fix(unit: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as caught:
        parse_routing({"units": [unit]}, "units.yaml")
    assert str(caught.value).startswith("units.yaml: ") and message in str(caught.value)


def test_one_units_file_for_every_service() -> None:
    from caseflow.config.units import directory_of
    from caseflow.config.units_file import parse_units_file

    spec = parse_units_file({"units": [{"id": "U1", "name": "环卫所", "class": 2, "targets": {"on_time_rate": 0.95},
                                        "quiet_hours": {"start": "22:00", "end": "07:00"}, "shoe_size": 42}],
                             "regions": None, "command_centre": None}, "units.yaml")
    directory, routing = directory_of(spec), parse_routing({"units": [{"id": "U1", "name": "环卫所", "class": 2}]})
    assert directory.units["U1"].on_time_target == 0.95 and directory.units["U1"].unit_class == 2
    assert routing.unit_names == {"U1": "环卫所"} and spec.units[0].quiet_hours is not None
