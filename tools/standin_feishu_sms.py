"""The stand-ins' rules for Feishu custom bots and a generic SMS gateway (mixed into RobotStandins).

Feishu (`POST /open-apis/bot/v2/hook/<token>`), answering HTTP 200 with `code`/`msg`:
- unknown token: 19001; a malformed body, or one over 20 KB (20,480 bytes): 9499 Bad Request;
- a bot with a secret needs `timestamp` (seconds, within an hour) and `sign` (base64 HMAC-SHA256 keyed by
  "<timestamp>\\n<secret>" over an empty message): else 19021;
- a bot with a keyword needs it in the message's text: else 19024;
- over 5 messages in any second or 100 in any 60 s: 11232 frequency limited.
SMS gateway (`POST /sms/send`, `Authorization: Bearer <key>`, JSON {"to", "text"}), HTTP 200 with `code`:
- unknown key: 1003; `to` not a mobile number: 1004; text over 5 segments (335 characters): 1002;
- a second message to one number within 60 s: 1001. Accepted: {"code": 0, "segments": n}.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from typing import Any, Protocol

from tools.robot_bodies import feishu_signed, feishu_text, json_object

FEISHU_MAX_BODY = 20 * 1024
FEISHU_PER_MINUTE, FEISHU_PER_SECOND = 100, 5
SMS_MAX_CHARS, SMS_EVERY_SECONDS = 5 * 67, 60.0
_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")


class _Owner(Protocol):
    lock: threading.Lock
    url: str
    _feishu: dict[str, tuple[str, str]]
    _sms_keys: set[str]
    _recent: dict[str, deque[float]]

    def clock(self) -> float: ...
    def _refuse(self, vendor: str, robot: str, code: int, message: str, now: float) -> tuple[int, str]: ...
    def _accept(self, vendor: str, robot: str, now: float, body: dict[str, Any], size: int) -> None: ...


def within(recent: deque[float], now: float, per_window: int, window: float) -> bool:
    """Whether one more arrival now keeps at most `per_window` in any `window` seconds."""
    return sum(1 for t in recent if t > now - window) < per_window


class FeishuAndSms:
    def feishu(self: _Owner, token: str, secret: str = "", keyword: str = "") -> str:
        self._feishu[token] = (secret, keyword)
        return f"{self.url}/open-apis/bot/v2/hook/{token}"

    def sms_gateway(self: _Owner, key: str) -> str:
        self._sms_keys.add(key)
        return f"{self.url}/sms/send"

    def answer_feishu(self: _Owner, token: str, raw: bytes) -> dict[str, Any]:
        with self.lock:
            now = self.clock()
            code, message = _feishu_verdict(self, token, raw, now)
            if code:
                return {"code": code, "msg": message, "data": {}}
            self._accept("feishu", token, now, json_object(raw) or {}, len(raw))
            return {"code": 0, "msg": "success", "data": {}}

    def answer_sms(self: _Owner, authorization: str, raw: bytes) -> dict[str, Any]:
        with self.lock:
            now = self.clock()
            body = json_object(raw) or {}
            number, text = str(body.get("to", "")), body.get("text")
            key = authorization.removeprefix("Bearer ").strip()
            if key not in self._sms_keys:
                return _code(self._refuse("sms", number, 1003, "invalid api key", now))
            if not _NUMBER.match(number) or not isinstance(text, str) or not text:
                return _code(self._refuse("sms", number, 1004, "invalid number or empty text", now))
            if len(text) > SMS_MAX_CHARS:
                return _code(self._refuse("sms", number, 1002, f"text over {SMS_MAX_CHARS} characters", now))
            recent = self._recent[f"sms:{number}"]
            if not within(recent, now, 1, SMS_EVERY_SECONDS):
                return _code(self._refuse("sms", number, 1001, "one message per number per minute", now))
            recent.append(now)
            self._accept("sms", number, now, body, len(raw))
            return {"code": 0, "message": "ok", "segments": 1 if len(text) <= 70 else -(-len(text) // 67)}


def _code(refusal: tuple[int, str]) -> dict[str, Any]:
    return {"code": refusal[0], "message": refusal[1]}


def _feishu_verdict(owner: _Owner, token: str, raw: bytes, now: float) -> tuple[int, str]:
    if token not in owner._feishu:
        return owner._refuse("feishu", token, 19001, "param invalid: incoming webhook access token invalid", now)
    secret, keyword = owner._feishu[token]
    body = json_object(raw)
    if len(raw) > FEISHU_MAX_BODY or body is None:
        return owner._refuse("feishu", token, 9499, "Bad Request", now)
    if secret and not feishu_signed(secret, body, now):
        return owner._refuse("feishu", token, 19021, "sign match fail or timestamp is not within one hour", now)
    text = feishu_text(body)
    if text is None:
        return owner._refuse("feishu", token, 9499, "Bad Request", now)
    if keyword and keyword not in text:
        return owner._refuse("feishu", token, 19024, "Key Words Not Found", now)
    recent = owner._recent[f"feishu:{token}"]
    if not (within(recent, now, FEISHU_PER_SECOND, 1.0) and within(recent, now, FEISHU_PER_MINUTE, 60.0)):
        return owner._refuse("feishu", token, 11232, "frequency limited", now)
    recent.append(now)
    while recent and recent[0] <= now - 60.0:
        recent.popleft()
    return 0, ""
