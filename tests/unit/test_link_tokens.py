"""Link tokens in robot messages: one unit's, signed, expiring, revocable; nothing else opens with one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caseflow.access.links import grant_stands, is_link_token, link_token, read_link_token

SECRET = "link-secret"


def test_a_token_opens_its_unit_until_it_expires_or_is_revoked() -> None:
    token = link_token(SECRET, "U-HW-LP", 1_000, 600)
    grant = read_link_token(token, SECRET)
    assert grant is not None and grant.unit == "U-HW-LP" and is_link_token(token)
    assert grant_stands(grant, 1_599, None) and not grant_stands(grant, 1_600, None)
    assert not grant_stands(grant, 1_100, revoked_at_s=1_000)  # revoked in the second it was issued
    assert not grant_stands(grant, 1_100, revoked_at_s=1_050)
    assert grant_stands(grant, 1_100, revoked_at_s=999)  # revoked before: a new token stands


def test_a_forged_or_altered_token_opens_nothing() -> None:
    token = link_token(SECRET, "U-HW-LP", 1_000, 600)
    prefix, unit, issued, expires, mac = token.split(".")
    other_unit = link_token(SECRET, "U-SZ-01", 1_000, 600).split(".")[1]
    for forged in (f"{prefix}.{other_unit}.{issued}.{expires}.{mac}",  # another unit, same signature
                   f"{prefix}.{unit}.{issued}.{int(expires) + 86400}.{mac}",  # a longer life
                   f"{prefix}.{unit}.{int(issued) + 9}.{expires}.{mac}",  # issued after a revocation
                   token[:-1] + ("A" if token[-1] != "A" else "B"), "l1.x.y.z.w", "l1.!!.1.2.abc", "", "l1"):
        assert read_link_token(forged, SECRET) is None, forged
    assert read_link_token(token, "another-deployment") is None
    assert read_link_token(token, "") is None  # no secret configured: no link token opens anything


@given(st.text(min_size=1, max_size=40), st.integers(0, 2**40), st.integers(1, 90 * 86400))
def test_any_unit_id_round_trips(unit: str, now: int, life: int) -> None:
    grant = read_link_token(link_token(SECRET, unit, now, life), SECRET)
    assert grant is not None and (grant.unit, grant.issued_s, grant.expires_s) == (unit, now, now + life)
