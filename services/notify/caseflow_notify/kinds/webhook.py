"""Plain webhooks: the alerts as JSON, `X-Caseflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">` when the channel has a secret (so the receiver verifies it and refuses replays), and
`X-Caseflow-Alert-Id` for its own dedup. Any 2xx is delivered; no vendor rate."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import orjson

from caseflow.contract.alert import as_json
from caseflow_notify.kinds.base import Alerts, Channel, Limits, Message, Request, Verdict, by_status, url_problems


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class Webhook:
    name = "webhook"
    limits: Limits | None = None

    def problems(self, channel: Channel) -> list[str]:
        return url_problems(channel)

    def robot_key(self, channel: Channel) -> str:
        return ""

    def fits(self, channel: Channel) -> Callable[[str, str], bool]:
        return lambda title, text: True

    def render(self, channel: Channel, message: Message, now_ms: int) -> Request:
        """One alert goes as itself; several as {"alerts": [...]}; a digest with its figures."""
        assert isinstance(message, Alerts), "a webhook is sent alerts, not text"
        alerts = [as_json(a) for a in message.alerts]
        if message.digest is not None:
            body = orjson.dumps({**message.digest, "alerts": alerts})
        elif len(alerts) == 1:
            body = orjson.dumps(alerts[0])
        else:
            body = orjson.dumps({"alerts": alerts})
        headers = {"content-type": "application/json"}
        if len(alerts) == 1 and message.digest is None:
            headers["x-caseflow-alert-id"] = str(alerts[0]["alert_id"])
            if alerts[0].get("redelivery"):
                headers["x-caseflow-redelivery"] = "true"
        else:
            headers["x-caseflow-alert-count"] = str(len(alerts))  # bounded headers: the ids are in the body
        if channel.secret:
            headers["x-caseflow-signature"] = signature(channel.secret, now_ms // 1000, body)
        return Request(channel.url, body, headers)

    def read_answer(self, status: int | None, body: bytes) -> Verdict:
        return by_status(status) or Verdict("delivered")


KIND = Webhook()
