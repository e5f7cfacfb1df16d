"""Every channel kind notify can send to: adding one is one module and one line here."""

from __future__ import annotations

from caseflow_notify.kinds import dingtalk, feishu, sms, webhook, wecom
from caseflow_notify.kinds.base import ChannelKind

KINDS: dict[str, ChannelKind] = {k.name: k for k in (
    webhook.KIND,
    dingtalk.KIND,
    wecom.KIND,
    feishu.KIND,
    sms.KIND,
)}


def kind_of(name: str) -> ChannelKind:
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown channel type {name!r}; known: {', '.join(sorted(KINDS))}") from None
