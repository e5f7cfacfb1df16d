"""Session cookies (the centre's board, a unit's board): hold no key or token, end at their expiry, end
when the key or token changes; a unit's opens that unit only."""

from __future__ import annotations

from caseflow.access.sessions import LIFETIME_S, session_holder, session_value
from caseflow.infra.unit_access import UnitAccess

KEYS = {"operator": "k-operator", "platform": "k-platform"}


def test_a_session_names_its_holder_until_it_expires() -> None:
    value = session_value("k-operator", "operator", 1_000)
    assert "k-operator" not in value
    assert session_holder(value, KEYS, 1_000 + LIFETIME_S - 1) == "operator"
    assert session_holder(value, KEYS, 1_000 + LIFETIME_S) is None


def test_a_forged_altered_or_orphaned_session_names_nobody() -> None:
    value = session_value("k-operator", "operator", 1_000)
    name, expires, signature = value.split(".")
    assert session_holder(f"platform.{expires}.{signature}", KEYS, 1_000) is None  # another name
    assert session_holder(f"{name}.{int(expires) + 9999}.{signature}", KEYS, 1_000) is None  # a longer life
    assert session_holder(value, {"operator": "a-new-key"}, 1_000) is None  # the key was changed
    assert session_holder(value, {}, 1_000) is None
    for junk in (None, "", "operator", "a.b", "operator.x.y"):
        assert session_holder(junk, KEYS, 1_000) is None


async def test_a_units_session_opens_that_unit_only_and_never_outlives_its_link() -> None:
    access = UnitAccess({"u0-token": "U-000", "u1-token": "U-001"}, "link-secret", 7 * 86400)
    own, life = access.session_for("u0-token", "U-000", 1_000)
    assert "u0-token" not in own and life == LIFETIME_S
    assert await access.unit_of_session(None, own, 1_000 + LIFETIME_S - 1) == "U-000"  # type: ignore[arg-type]
    assert await access.unit_of_session(None, own, 1_000 + LIFETIME_S) is None  # type: ignore[arg-type]
    _, expires, signature = own.split(".")
    assert await access.unit_of_session(None, f"unit:U-001.{expires}.{signature}", 1_000) is None  # type: ignore[arg-type]
    changed = UnitAccess({"u0-new": "U-000"}, "link-secret")
    assert await changed.unit_of_session(None, own, 1_000) is None  # type: ignore[arg-type]
    # a key holder's session is no unit's, whatever its name
    assert await access.unit_of_session(None, session_value("k-operator", "operator", 1_000), 1_000) is None  # type: ignore[arg-type]

    link = access.token_for("U-000", 1_000)
    kept, link_life = access.session_for(link, "U-000", 1_000 + 7 * 86400 - 60)
    assert kept == link and link_life == 60  # the link itself, checked again on every request
    assert access.session_for(link, "U-000", 1_000)[1] == LIFETIME_S
    for junk in (None, "", "unit:U-000", "l1.x.y.z.w"):
        assert await access.unit_of_session(None, junk, 1_000) is None  # type: ignore[arg-type]
