"""What every channel kind is (one module per kind implements `ChannelKind`; registry.py lists them).

A kind says how one channel of it is checked, which robot (rate) a channel sends to, whether a message
fits the vendor's limits, how a message becomes an HTTP request, and what the vendor's answer means.
Robots (DingTalk, WeCom, Feishu, SMS) take the Chinese text of messages.py packed within their limits;
a webhook (no limits) takes the alerts themselves as JSON.

An answer is one of
- delivered;
- throttled: the vendor's rate limit was hit; wait as long as the vendor blocks, never drop;
- too_long: over the vendor's size limit; send its alerts again in smaller messages;
- permanent: bad signature, keyword, credential, a removed robot, a malformed message: retrying cannot
  help; the delivery fails and the command centre is told;
- retry: anything else (system busy, a timeout, HTTP 5xx): back off and try again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from caseflow.contract.alert import AlertMessage


@dataclass(frozen=True, slots=True)
class Channel:
    """One configured receiver (units file): its kind, address and credentials."""

    type: str
    url: str
    secret: str = ""
    keyword: str = ""  # a robot's security keyword: every message carries it
    to: str = ""  # SMS: the mobile number


Outcome = Literal["delivered", "retry", "throttled", "too_long", "permanent"]


@dataclass(frozen=True)
class Limits:
    per_minute: int = 20
    per_second: int | None = None  # a burst limit besides the minute's (Feishu: 5 a second)
    body_bytes: int | None = None  # the whole HTTP body
    content_bytes: int | None = None  # the message text alone, UTF-8
    content_chars: int | None = None  # the message text alone, in characters (SMS)
    throttle_seconds: float = 60.0  # how long the vendor blocks a robot that went over its rate
    free_text: int = 200  # characters of a description or address in one entry


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    vendor_code: int | None = None
    vendor_message: str = ""
    wait: float | None = None  # for `throttled`: seconds the robot stays blocked


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Text:
    """A robot's message: a title and Chinese markdown (messages.py), platform text already inert."""

    title: str
    text: str


@dataclass(frozen=True)
class Alerts:
    """A webhook's message: the alerts themselves, or a digest's figures with them."""

    alerts: Sequence[AlertMessage]
    digest: Mapping[str, Any] | None = None


Message = Text | Alerts


class ChannelKind(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def limits(self) -> Limits | None:
        """None: a webhook, sent the alerts as JSON with no vendor rate."""
        ...

    def problems(self, channel: Channel) -> list[str]:
        """What is wrong with a configured channel of this kind (empty: nothing)."""
        ...

    def robot_key(self, channel: Channel) -> str:
        """The robot (or number) a channel sends to: channels sharing one share its rate."""
        ...

    def fits(self, channel: Channel) -> Callable[[str, str], bool]:
        """Whether (title, text) is within the vendor's limits, measured as the vendor measures."""
        ...

    def render(self, channel: Channel, message: Message, now_ms: int) -> Request: ...

    def read_answer(self, status: int | None, body: bytes) -> Verdict: ...


@dataclass(frozen=True)
class Codes:
    """A vendor's answer codes by meaning; codes not listed are retried with backoff."""

    throttled: frozenset[int]
    too_long: frozenset[int] = frozenset()
    permanent: frozenset[int] = frozenset()
    ok: frozenset[int] = field(default_factory=lambda: frozenset({0}))


def by_status(status: int | None) -> Verdict | None:
    """The verdict HTTP alone gives (None: read the body). `status` None means no answer at all."""
    if status is None or status >= 500 or status in (408, 429):
        return Verdict("retry")
    if not 200 <= status < 300:
        return Verdict("permanent")
    return None


def read_code(name: str, status: int | None, body: bytes, code_of: Callable[[Any], tuple[int, str]],
              codes: Codes, throttle_seconds: float) -> Verdict:
    """A vendor that answers HTTP 200 with its verdict in the body."""
    early = by_status(status)
    if early is not None:
        return early
    try:
        code, message = code_of(orjson.loads(body))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return Verdict("retry", None, f"not a {name} answer: {body[:120]!r}")
    message = message[:300]
    if code in codes.ok:
        return Verdict("delivered", code, message)
    if code in codes.throttled:
        return Verdict("throttled", code, message, throttle_seconds)
    if code in codes.too_long:
        return Verdict("too_long", code, message)
    if code in codes.permanent:
        return Verdict("permanent", code, message)
    return Verdict("retry", code, message)


def with_keyword(channel: Channel, title: str, text: str) -> str:
    """A robot with a security keyword refuses messages without it: add it when missing."""
    if channel.keyword and channel.keyword not in title + text:
        return f"{channel.keyword}\n{text}"
    return text


def url_problems(channel: Channel) -> list[str]:
    return [] if channel.url.startswith(("http://", "https://")) else [f"url must start with http:// or https://, "
                                                                        f"got {channel.url[:40]!r}"]
