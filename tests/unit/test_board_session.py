"""The centre's board session cookie: holds no key, ends at its expiry, and ends when the key changes."""

from __future__ import annotations

from caseflow.access.sessions import LIFETIME_S, session_holder, session_value

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
