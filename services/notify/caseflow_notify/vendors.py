"""What a receiver's answer means (pure), and each robot vendor's documented limits.

DingTalk and WeCom answer HTTP 200 even when they refuse a message: the verdict is in the body's
`errcode`. A refusal is one of
- throttled: the robot's rate limit was hit; wait (DingTalk blocks the robot for 10 minutes, WeCom
  until its minute frees) and send again, never drop;
- too_long: the message is over the byte limit; send its alerts again in smaller messages;
- permanent: bad signature, keyword or IP, a removed robot or key, a malformed message: retrying
  cannot help; the delivery fails and the command centre is told;
- retry: anything else (system busy, a timeout, HTTP 5xx): back off and try again.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Literal

import orjson

Outcome = Literal["delivered", "retry", "throttled", "too_long", "permanent"]


@dataclass(frozen=True)
class RobotLimits:
    per_minute: int = 20
    body_bytes: int | None = None  # the whole HTTP body (DingTalk)
    content_bytes: int | None = None  # markdown.content (WeCom)
    throttle_seconds: float = 60.0  # how long the vendor blocks a robot that went over its rate


LIMITS = {
    "dingtalk": RobotLimits(body_bytes=20_000, throttle_seconds=600.0),
    "wecom": RobotLimits(content_bytes=4_096, throttle_seconds=60.0),
}

# errcodes by vendor; codes not listed are retried with backoff.
THROTTLED = {"dingtalk": {130101}, "wecom": {45009}}
TOO_LONG = {"dingtalk": {460101}, "wecom": {40058}}
PERMANENT = {
    # 310000 keyword / IP / signature; 300001 token does not exist; 400101/400102 robot stopped or
    # removed; 40035 malformed body; 410100 sending not allowed
    "dingtalk": {310000, 300001, 300005, 400101, 400102, 40035, 410100},
    # 93000 invalid webhook key; 40008 invalid message type; 40001/40014 invalid credential or token
    "wecom": {93000, 40008, 40001, 40014},
}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    vendor_code: int | None = None
    vendor_message: str = ""
    wait: float | None = None  # for `throttled`: seconds the robot stays blocked


def read_answer(channel_type: str, status: int | None, body: bytes) -> Verdict:
    """`status` None means no HTTP answer (refused, timed out)."""
    if status is None or status >= 500 or status in (408, 429):
        return Verdict("retry")
    if not 200 <= status < 300:
        return Verdict("permanent")
    if channel_type not in LIMITS:
        return Verdict("delivered")
    try:
        doc = orjson.loads(body)
        code, message = int(doc["errcode"]), str(doc.get("errmsg", ""))[:300]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return Verdict("retry", None, f"not a {channel_type} answer: {body[:120]!r}")
    if code == 0:
        return Verdict("delivered", 0, message)
    if code in THROTTLED[channel_type]:
        return Verdict("throttled", code, message, LIMITS[channel_type].throttle_seconds)
    if code in TOO_LONG[channel_type]:
        return Verdict("too_long", code, message)
    if code in PERMANENT[channel_type]:
        return Verdict("permanent", code, message)
    return Verdict("retry", code, message)


def robot_key(channel_type: str, url: str) -> str:
    """The robot a URL sends to (its access token or key), so receivers sharing one robot share
    its rate; the URL itself without a query otherwise."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    name = {"dingtalk": "access_token", "wecom": "key"}.get(channel_type, "")
    if name in query:
        return f"{channel_type}:{query[name][0]}"
    return f"{channel_type}:{parts.netloc}{parts.path}"
