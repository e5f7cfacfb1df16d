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
from caseflow_notify.channels import Channel, parse_routing
from caseflow_notify.formats import dingtalk_url, verify_webhook, webhook_request
from caseflow_notify.retry import RetryPolicy, next_delay

ALERT = {"alert_id": "a1", "type": "overdue", "case_id": "C1", "unit": "U1", "level": 1,
         "due_at": "2026-11-03T11:30:00+08:00", "reason": "overdue level 1", "recipients": ["unit"]}


def test_webhook_signature_verifies_and_rejects_tampering_and_replays() -> None:
    req = webhook_request(Channel("webhook", "http://r/hook", "s3cret"), ALERT, 1_790_000_000_000)
    sig = req.headers["x-caseflow-signature"]
    assert verify_webhook("s3cret", sig, req.body, now=1_790_000_010)
    assert not verify_webhook("s3cret", sig, req.body + b" ", now=1_790_000_010)
    assert not verify_webhook("wrong", sig, req.body, now=1_790_000_010)
    assert not verify_webhook("s3cret", sig, req.body, now=1_790_000_000 + 3600)  # stale: a replay
    assert orjson.loads(req.body) == ALERT and req.headers["x-caseflow-alert-id"] == "a1"


def test_dingtalk_signed_url_follows_its_scheme() -> None:
    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", "SEC", 1_700_000_000_000)
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
    with pytest.raises(ConfigError, match="needs `type`"):
        parse_routing({"units": [{"id": "U2", "class": 1, "channels": [{"type": "fax", "url": "x"}]}]})


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
