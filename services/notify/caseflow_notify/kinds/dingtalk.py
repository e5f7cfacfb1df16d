"""DingTalk custom robots (自定义机器人): markdown messages; with a secret, the signed URL
`&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "<ms>\\n<secret>">`; a security keyword in
every message; 20,000 bytes of body; 20 messages a minute, over which the robot is blocked for 10
minutes. Answers HTTP 200 with `errcode`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable

import orjson

from caseflow_notify.kinds.base import (
    Channel,
    Codes,
    Limits,
    Message,
    Request,
    Text,
    Verdict,
    read_code,
    url_problems,
    with_keyword,
)

CODES = Codes(
    throttled=frozenset({130101}),
    too_long=frozenset({460101}),
    # 310000 keyword / IP / signature; 300001 token does not exist; 400101/400102 robot stopped or
    # removed; 40035 malformed body; 410100 sending not allowed
    permanent=frozenset({310000, 300001, 300005, 400101, 400102, 40035, 410100}),
)


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


def query_key(channel: Channel, name: str) -> str:
    """The robot a URL names (its token or key in the query), else the URL without its query."""
    parts = urllib.parse.urlsplit(channel.url)
    found = urllib.parse.parse_qs(parts.query).get(name)
    return f"{channel.type}:{found[0]}" if found else f"{channel.type}:{parts.netloc}{parts.path}"


class DingTalk:
    name = "dingtalk"
    limits = Limits(per_minute=20, body_bytes=20_000, throttle_seconds=600.0)

    def problems(self, channel: Channel) -> list[str]:
        return url_problems(channel)

    def robot_key(self, channel: Channel) -> str:
        return query_key(channel, "access_token")

    def body(self, channel: Channel, title: str, text: str) -> bytes:
        text = with_keyword(channel, title, text)
        return orjson.dumps({"msgtype": "markdown", "markdown": {"title": title, "text": text}})

    def fits(self, channel: Channel) -> Callable[[str, str], bool]:
        return lambda title, text: len(self.body(channel, title, text)) <= (self.limits.body_bytes or 0)

    def render(self, channel: Channel, message: Message, now_ms: int) -> Request:
        assert isinstance(message, Text)
        return Request(signed_url(channel.url, channel.secret, now_ms), self.body(channel, message.title, message.text),
                       {"content-type": "application/json"})

    def read_answer(self, status: int | None, body: bytes) -> Verdict:
        return read_code(self.name, status, body, lambda d: (int(d["errcode"]), str(d.get("errmsg", ""))), CODES,
                         self.limits.throttle_seconds)


KIND = DingTalk()
