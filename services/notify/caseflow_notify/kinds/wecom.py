"""WeCom group robots (群机器人): markdown messages, the robot's key in the URL; `markdown.content` at
most 4,096 bytes (UTF-8); 20 messages a minute. Answers HTTP 200 with `errcode`."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from caseflow_notify.kinds.base import Channel, Codes, Limits, Message, Request, Text, Verdict, read_code, url_problems
from caseflow_notify.kinds.dingtalk import query_key

CODES = Codes(
    throttled=frozenset({45009}),
    too_long=frozenset({40058}),
    # 93000 invalid webhook key; 40008 invalid message type; 40001/40014 invalid credential or token
    permanent=frozenset({93000, 40008, 40001, 40014}),
)


class WeCom:
    name = "wecom"
    limits = Limits(per_minute=20, content_bytes=4_096, throttle_seconds=60.0)

    def problems(self, channel: Channel) -> list[str]:
        return url_problems(channel)

    def robot_key(self, channel: Channel) -> str:
        return query_key(channel, "key")

    def content(self, channel: Channel, title: str, text: str) -> str:
        # WeCom has no title field and no keyword rule; a configured keyword is still put in front.
        return f"{channel.keyword}\n{text}" if channel.keyword and channel.keyword not in text else text

    def fits(self, channel: Channel) -> Callable[[str, str], bool]:
        limit = self.limits.content_bytes or 0
        return lambda title, text: len(self.content(channel, title, text).encode()) <= limit

    def render(self, channel: Channel, message: Message, now_ms: int) -> Request:
        assert isinstance(message, Text)
        body = orjson.dumps({"msgtype": "markdown",
                             "markdown": {"content": self.content(channel, message.title, message.text)}})
        return Request(channel.url, body, {"content-type": "application/json"})

    def read_answer(self, status: int | None, body: bytes) -> Verdict:
        return read_code(self.name, status, body, lambda d: (int(d["errcode"]), str(d.get("errmsg", ""))), CODES,
                         self.limits.throttle_seconds)


KIND = WeCom()
