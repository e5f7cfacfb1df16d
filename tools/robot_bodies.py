"""Reading what a robot is sent, as the vendors do: the JSON body, the text of a DingTalk or WeCom
message, and DingTalk's signature (HMAC-SHA256 of "<ms>\\n<secret>", base64; within one hour)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson


def json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def dingtalk_text(body: dict[str, Any] | None) -> str | None:
    if not body:
        return None
    kind = body.get("msgtype")
    part = body.get(str(kind))
    if kind == "text" and isinstance(part, dict) and isinstance(part.get("content"), str):
        return str(part["content"])
    if kind == "markdown" and isinstance(part, dict) and isinstance(part.get("text"), str) \
            and isinstance(part.get("title"), str):
        return f"{part['title']}\n{part['text']}"
    return None


def wecom_text(body: dict[str, Any] | None) -> str | None:
    kind = (body or {}).get("msgtype")
    part = (body or {}).get(str(kind))
    return str(part["content"]) if isinstance(part, dict) and isinstance(part.get("content"), str) else None


def dingtalk_signed(secret: str, query: dict[str, str], now: float) -> bool:
    try:
        timestamp = int(query["timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(now * 1000 - timestamp) > 3_600_000:
        return False
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), query.get("sign", ""))
