"""Link tokens for the links in robot messages (issue #32): `l1.<unit, base64url>.<issued>.<expires>.<HMAC>`
under the deployment's link secret (CASEFLOW_LINK_SECRET). A token opens one unit's pages and nothing of
another's, ends at its expiry, and is revoked by a unit's revocation instant (every token of the unit
issued at or before it stops), without touching the units file or the unit's own token. Pure: the
caller gives the time and the revocation instant."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

PREFIX = "l1"


@dataclass(frozen=True)
class LinkGrant:
    unit: str
    issued_s: int
    expires_s: int


def _mac(secret: str, unit: str, issued: int, expires: int) -> str:
    mac = hmac.new(secret.encode(), f"link|{unit}|{issued}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def link_token(secret: str, unit: str, now_s: int, lifetime_s: int) -> str:
    expires = now_s + lifetime_s
    return f"{PREFIX}.{_b64(unit)}.{now_s}.{expires}.{_mac(secret, unit, now_s, expires)}"


def is_link_token(presented: str) -> bool:
    return presented.startswith(PREFIX + ".")


def read_link_token(token: str, secret: str) -> LinkGrant | None:
    """The grant a token carries if its signature holds under `secret` (expiry and revocation not checked)."""
    parts = token.split(".")
    if not secret or len(parts) != 5 or parts[0] != PREFIX or not (parts[2].isdigit() and parts[3].isdigit()):
        return None
    try:
        unit = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    issued, expires = int(parts[2]), int(parts[3])
    good = hmac.compare_digest(parts[4], _mac(secret, unit, issued, expires))
    return LinkGrant(unit, issued, expires) if good else None


def grant_stands(grant: LinkGrant, now_s: int, revoked_at_s: int | None) -> bool:
    """Not expired, and issued after the unit's last revocation (if any)."""
    return now_s < grant.expires_s and (revoked_at_s is None or grant.issued_s > revoked_at_s)
