"""Sessions for people who signed in once with a key (or a unit's token) through a form: an HttpOnly,
SameSite=Strict cookie that holds no secret: `<holder>.<expires>.<HMAC-SHA256 of holder and expiry under
that holder's own secret>`. Every replica checks it without shared state, it ends at its expiry, and
changing the secret ends it at once (pure: the caller gives the time)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

COOKIE = "caseflow_board"  # notify's board (kept: signed-in boards stay signed in across this change)
SESSION_COOKIE = "caseflow_session"  # scoring's pages
UNIT_COOKIE = "caseflow_unit"  # notify's unit board, signed in with the unit's token or a link token
LIFETIME_S = 12 * 3600  # one shift


def _signature(secret: str, holder: str, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"board|{holder}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def session_value(secret: str, holder: str, now_s: int, lifetime_s: int = LIFETIME_S) -> str:
    """The cookie's value for `holder` (a key's name, or `unit:<id>`) holding `secret`."""
    expires = now_s + lifetime_s
    return f"{holder}.{expires}.{_signature(secret, holder, expires)}"


def session_holder(value: str | None, secrets_by_holder: Mapping[str, str], now_s: int) -> str | None:
    """Who a cookie value belongs to, or None: malformed, expired, unknown holder or a wrong signature."""
    if not value or value.count(".") < 2:
        return None
    holder, expires_text, signature = value.rsplit(".", 2)
    secret = secrets_by_holder.get(holder)
    if secret is None or not expires_text.isdigit() or int(expires_text) <= now_s:
        return None
    return holder if hmac.compare_digest(signature, _signature(secret, holder, int(expires_text))) else None
