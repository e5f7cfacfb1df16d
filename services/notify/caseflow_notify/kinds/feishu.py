"""Feishu (飞书) custom bots (自定义机器人): rich-text (`post`) messages; with a secret, the body carries
`timestamp` (unix seconds) and `sign` (base64 HMAC-SHA256 keyed by "<timestamp>\\n<secret>" over an empty
message, within an hour of Feishu's clock); a security keyword must appear in the text; the request body
is at most 20 KB; 100 messages a minute and 5 a second per bot. Answers HTTP 200 with `code`:
11232 rate limited (waited out), 19021 bad signature or stale timestamp, 19022 IP not allowed,
19024 keyword missing (permanent), 9499 bad request (sent again alone, then reported).

A post's text elements are plain text: our markdown lines become paragraphs, our own links `[label](url)`
become link elements, and platform text (made inert upstream: no ASCII brackets) stays text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any

import orjson

from caseflow_notify.kinds.base import Channel, Codes, Limits, Message, Request, Text, Verdict, read_code, url_problems

CODES = Codes(
    throttled=frozenset({11232}),
    too_long=frozenset({9499}),  # Feishu's "Bad Request" also answers an oversized body: try alone first
    permanent=frozenset({19021, 19022, 19024, 19001, 19002}),
)
_LINK = re.compile(r"\[([^\[\]\n]*)\]\((https?://[^()\s]+)\)")


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def paragraph(line: str) -> list[dict[str, Any]]:
    """One markdown line of ours as a post paragraph: a heading or bold line in bold, a list item with
    a dot, links as links."""
    bold = line.startswith("#") or line.startswith("**")
    line = re.sub(r"^#+\s*", "", line).replace("**", "")
    line = "· " + line[2:] if line.startswith("- ") and not _LINK.match(line[2:]) else line.removeprefix("- ")
    out: list[dict[str, Any]] = []
    at = 0
    for m in _LINK.finditer(line):
        if m.start() > at:
            out.append({"tag": "text", "text": line[at:m.start()]})
        out.append({"tag": "a", "text": m.group(1), "href": m.group(2)})
        at = m.end()
    if at < len(line) or not out:
        out.append({"tag": "text", "text": line[at:]})
    if bold:
        for element in out:
            element["style"] = ["bold"]
    return out


def post(title: str, text: str, keyword: str = "") -> dict[str, Any]:
    lines = text.split("\n")
    if lines and lines[0].lstrip("#").strip() == title:
        lines = lines[1:]  # the title is the post's own
    if keyword and keyword not in title + text:
        lines.insert(0, keyword)
    content = [paragraph(line) for line in lines if line.strip()]  # an entry's heading opens it: no blank needed
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": content}}}}


def post_text(body: dict[str, Any]) -> str | None:
    """The text a person reads in a post (what Feishu checks a keyword against); None if not a post."""
    try:
        zh = body["content"]["post"]["zh_cn"]
        parts = [str(zh.get("title", ""))]
        parts += ["".join(str(e.get("text", "")) for e in para) for para in zh["content"]]
    except (KeyError, TypeError, AttributeError):
        return None
    return "\n".join(parts)


class Feishu:
    name = "feishu"
    limits = Limits(per_minute=100, per_second=5, body_bytes=20 * 1024, throttle_seconds=60.0)

    def problems(self, channel: Channel) -> list[str]:
        return url_problems(channel)

    def robot_key(self, channel: Channel) -> str:
        return f"feishu:{channel.url.rstrip('/').rsplit('/', 1)[-1]}"  # .../bot/v2/hook/<token>

    def body(self, channel: Channel, title: str, text: str, now_ms: int) -> bytes:
        doc = post(title, text, channel.keyword)
        if channel.secret:
            timestamp = now_ms // 1000
            doc = {"timestamp": str(timestamp), "sign": sign(channel.secret, timestamp), **doc}
        return orjson.dumps(doc)

    def fits(self, channel: Channel) -> Callable[[str, str], bool]:
        return lambda title, text: len(self.body(channel, title, text, 0)) <= (self.limits.body_bytes or 0)

    def render(self, channel: Channel, message: Message, now_ms: int) -> Request:
        assert isinstance(message, Text)
        return Request(channel.url, self.body(channel, message.title, message.text, now_ms),
                       {"content-type": "application/json; charset=utf-8"})

    def read_answer(self, status: int | None, body: bytes) -> Verdict:
        def code_of(d: Any) -> tuple[int, str]:
            if "code" in d:
                return int(d["code"]), str(d.get("msg", ""))
            return int(d["StatusCode"]), str(d.get("StatusMessage", ""))  # Feishu's older answer

        return read_code(self.name, status, body, code_of, CODES, self.limits.throttle_seconds)


KIND = Feishu()
