"""The command centre's board without its key in any URL (issue #32): the login form posts the operator
key once (a header) and gets an HttpOnly, SameSite=Strict cookie that the page's live feed and its
acknowledgements carry instead. The cookie holds no key: `<name>.<expires>.<HMAC-SHA256 of the name and
expiry under that operator's own key>`, so every replica checks it without shared state, it ends at its
expiry, and changing the key ends it at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

COOKIE = "caseflow_board"
LIFETIME_S = 12 * 3600  # one shift


def _signature(key: str, name: str, expires: int) -> str:
    mac = hmac.new(key.encode(), f"board|{name}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def session_value(key: str, name: str, now_s: int) -> str:
    """The cookie's value for `name` holding `key`, valid for LIFETIME_S from now_s."""
    expires = now_s + LIFETIME_S
    return f"{name}.{expires}.{_signature(key, name, expires)}"


def session_holder(value: str | None, keys_by_name: Mapping[str, str], now_s: int) -> str | None:
    """Who a cookie value belongs to, or None: malformed, expired, unknown name or a wrong signature."""
    if not value or value.count(".") < 2:
        return None
    name, expires_text, signature = value.rsplit(".", 2)
    key = keys_by_name.get(name)
    if key is None or not expires_text.isdigit() or int(expires_text) <= now_s:
        return None
    return name if hmac.compare_digest(signature, _signature(key, name, int(expires_text))) else None
