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


def feishu_text(body: dict[str, Any] | None) -> str | None:
    """What Feishu shows (and checks a keyword against): a text message's text, a post's title and texts."""
    if not body:
        return None
    kind, content = body.get("msg_type"), body.get("content")
    if not isinstance(content, dict):
        return None
    if kind == "text" and isinstance(content.get("text"), str):
        return str(content["text"])
    post = content.get("post") if kind == "post" else None
    langs = [v for v in post.values() if isinstance(v, dict)] if isinstance(post, dict) else []
    if not langs:
        return None
    parts = []
    for lang in langs:
        paragraphs = lang.get("content")
        if not isinstance(paragraphs, list) or not all(isinstance(p, list) for p in paragraphs):
            return None
        parts.append(str(lang.get("title", "")))
        parts += ["".join(str(e.get("text", "")) for e in p if isinstance(e, dict)) for p in paragraphs]
    return "\n".join(parts)


def feishu_signed(secret: str, body: dict[str, Any], now: float) -> bool:
    try:
        timestamp = int(body["timestamp"])
    except (KeyError, ValueError, TypeError):
        return False
    if abs(now - timestamp) > 3600:
        return False
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), str(body.get("sign", "")))
