"""SMS through a generic HTTP gateway, for units with no group chat.

Configuration: `{type: sms, url: <gateway>, secret: <API key>, to: <mobile number>}`; one channel is one
number. The request: `POST <url>` with `Authorization: Bearer <secret>` and JSON
`{"to": "<number>", "text": "<plain text>"}`. A text over 70 characters is sent as concatenated
segments of 67; we send at most 5 segments (335 characters) per message, and at most one message a
minute to a number (the gateways' usual per-number limit; a second within the minute is refused).
Answers: HTTP 200 with `{"code": 0}` when accepted; `code` 1001 per-number rate limited (waited
out), 1002 text too long (sent again alone, then reported), 1003 bad credential and 1004 bad number
(permanent); HTTP 401/403 are permanent, 429 and 5xx are retried.

SMS is plain text: our markdown's heading and bold marks go, a link keeps only its address, the case
links of each entry are left out (the header's board link stays), so a message stays short."""

from __future__ import annotations

import re
from collections.abc import Callable

import orjson

from caseflow_notify.kinds.base import Channel, Codes, Limits, Message, Request, Text, Verdict, read_code, url_problems

SEGMENT, CONCATENATED, MAX_SEGMENTS = 70, 67, 5
CODES = Codes(throttled=frozenset({1001}), too_long=frozenset({1002}), permanent=frozenset({1003, 1004}))
_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")
_LINK = re.compile(r"\[([^\[\]\n]*)\]\((https?://[^()\s]+)\)")


def segments(text: str) -> int:
    """How many SMS a text is billed and sent as."""
    return 1 if len(text) <= SEGMENT else -(-len(text) // CONCATENATED)


def plain(title: str, text: str) -> str:
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"^#+\s*", "", line).replace("**", "").strip()
        if not line or (line.startswith("- [") and _LINK.fullmatch(line[2:])):
            continue  # blank, or an entry's own case link
        lines.append(_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", line).removeprefix("- "))
    return "\n".join(lines)


class Sms:
    name = "sms"
    limits = Limits(per_minute=1, content_chars=MAX_SEGMENTS * CONCATENATED, throttle_seconds=60.0, free_text=16)

    def problems(self, channel: Channel) -> list[str]:
        found = url_problems(channel)
        if not _NUMBER.match(channel.to):
            found.append(f"to must be a mobile number (digits, optional +), got {channel.to[:20]!r}")
        if not channel.secret:
            found.append("secret must be the gateway's API key")
        return found

    def robot_key(self, channel: Channel) -> str:
        return f"sms:{channel.to}"  # the gateway limits each number

    def fits(self, channel: Channel) -> Callable[[str, str], bool]:
        return lambda title, text: len(plain(title, text)) <= (self.limits.content_chars or 0)

    def render(self, channel: Channel, message: Message, now_ms: int) -> Request:
        assert isinstance(message, Text)
        body = orjson.dumps({"to": channel.to, "text": plain(message.title, message.text)})
        return Request(channel.url, body, {"content-type": "application/json",
                                           "authorization": f"Bearer {channel.secret}"})

    def read_answer(self, status: int | None, body: bytes) -> Verdict:
        return read_code(self.name, status, body, lambda d: (int(d["code"]), str(d.get("message", ""))), CODES,
                         self.limits.throttle_seconds)


KIND = Sms()
