"""Message formats and signatures (pure: the caller supplies the time).

- webhook: JSON alert; header `X-Caseflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
  so the receiver can verify it and reject replays (old t); `X-Caseflow-Alert-Id` for its own dedup.
- dingtalk: custom robot markdown message; with a secret, the signed URL
  `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "<ms>\\n<secret>">` (DingTalk's scheme).
- wecom: group robot markdown message (the robot key is in its URL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from caseflow_notify.channels import Channel
from caseflow_notify.vendors import LIMITS

REASON_ZH = {
    "80% of the limit elapsed": "处置时限已用 80%",
    "overdue level 1": "超期（一级：责任单位）",
    "overdue level 2": "超期过半个时限（二级：单位领导、指挥中心）",
    "overdue level 3": "超期达整个时限（三级：督办）",
    "overdue by the whole limit": "超期达整个时限，自动督办",
    "supervised": "督办",
    "supervision deadline passed": "督办时限已到，仍未处置",
    "second_rework": "同一派遣二次返工，自动督办",
    "repeat_case": "重复案件，自动督办",
    "disposed, returned or closed": "已处置、回退或结案",
}


def reason_zh(reason: str) -> str:
    return REASON_ZH.get(reason, reason)


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_webhook(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), header)


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


def webhook_request(channel: Channel, alert: dict[str, Any], now_ms: int) -> Request:
    """One alert to a webhook: the alert's JSON, signed when the channel has a secret. (Robots' markdown is
    written in content.py and messages.py.)"""
    body = orjson.dumps(alert)
    headers = {"content-type": "application/json", "x-caseflow-alert-id": str(alert["alert_id"])}
    if alert.get("redelivery"):
        headers["x-caseflow-redelivery"] = "true"
    if channel.secret:
        headers["x-caseflow-signature"] = webhook_signature(channel.secret, now_ms // 1000, body)
    return Request(channel.url, body, headers)


def robot_body(channel: Channel, title: str, text: str) -> bytes:
    """A DingTalk or WeCom markdown message; a DingTalk robot's keyword is added when missing."""
    if channel.keyword and channel.keyword not in title + text:
        text = f"{channel.keyword}\n{text}"
    if channel.type == "dingtalk":
        return orjson.dumps({"msgtype": "markdown", "markdown": {"title": title, "text": text}})
    return orjson.dumps({"msgtype": "markdown", "markdown": {"content": text}})


def fits(channel: Channel) -> Callable[[str, str], bool]:
    """Whether a message is within the vendor's byte limits (DingTalk: the whole body; WeCom:
    markdown.content), measured exactly as the vendor does."""
    limits = LIMITS[channel.type]

    def check(title: str, text: str) -> bool:
        body = robot_body(channel, title, text)
        if limits.body_bytes is not None and len(body) > limits.body_bytes:
            return False
        content = orjson.loads(body)["markdown"].get("content" if channel.type == "wecom" else "text", "")
        return limits.content_bytes is None or len(content.encode()) <= limits.content_bytes

    return check


def robot_request(channel: Channel, title: str, text: str, now_ms: int) -> Request:
    body = robot_body(channel, title, text)
    url = dingtalk_url(channel.url, channel.secret, now_ms) if channel.type == "dingtalk" else channel.url
    return Request(url, body, {"content-type": "application/json"})


def render_digest(channel: Channel, digest: dict[str, Any], alerts: list[dict[str, Any]], now_ms: int) -> Request:
    """A webhook's catch-up message: the digest's figures and every alert it covers."""
    body = orjson.dumps({**digest, "alerts": alerts})
    headers = {"content-type": "application/json", "x-caseflow-alert-count": str(len(alerts))}
    if channel.secret:
        headers["x-caseflow-signature"] = webhook_signature(channel.secret, now_ms // 1000, body)
    return Request(channel.url, body, headers)


def webhook_group(channel: Channel, alerts: list[dict[str, Any]], now_ms: int) -> Request:
    """One webhook message for several alerts of one receiver (a grouping window); one alert goes as itself."""
    if len(alerts) == 1:
        return webhook_request(channel, alerts[0], now_ms)
    body = orjson.dumps({"alerts": alerts})
    # Bounded headers: the ids of a group travel in the body only.
    headers = {"content-type": "application/json", "x-caseflow-alert-count": str(len(alerts))}
    if channel.secret:
        headers["x-caseflow-signature"] = webhook_signature(channel.secret, now_ms // 1000, body)
    return Request(channel.url, body, headers)
