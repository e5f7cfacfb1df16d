"""The alert on `caseflow.alerts`: scoring raises it, notify reads it (and adds its own: escalations,
channels that refuse). One typed message, versioned (`schema`), decoded strictly at the edge.

`reason` is a closed set; the Chinese a unit reads comes from `REASON_ZH`, never from matching text.
Anything variable (a rate and its target, the minutes before escalation, a vendor's code) rides in
`detail`. Alerts stored before this contract (free-text reasons) decode through `legacy()`.
"""

from __future__ import annotations

import enum
from typing import Any, Literal

import msgspec

SCHEMA = "alert.v1"


class AlertType(enum.StrEnum):
    DEADLINE_WARNING = "deadline_warning"
    OVERDUE = "overdue"
    SUPERVISION = "supervision"
    RESOLVED = "resolved"
    CHANNEL_FAILED = "channel_failed"
    NOTICE = "notice"  # the unit is told of a decision about its numbers (issue #32), not a case's deadline


class Reason(enum.StrEnum):
    # values are the wire strings scoring has always written (alert ids never depended on them)
    DEADLINE_WARNING = "80% of the limit elapsed"
    OVERDUE_LEVEL_1 = "overdue level 1"
    OVERDUE_LEVEL_2 = "overdue level 2"
    OVERDUE_LEVEL_3 = "overdue level 3"
    OVERDUE_WHOLE_LIMIT = "overdue by the whole limit"
    SUPERVISED = "supervised"
    SUPERVISION_DEADLINE = "supervision deadline passed"
    SECOND_REWORK = "second_rework"
    REPEAT_CASE = "repeat_case"
    RESOLVED = "disposed, returned or closed"
    BELOW_TARGET = "below_target"  # the unit's month-to-date on-time rate under its target
    UNACKNOWLEDGED = "unacknowledged"  # escalated by notify: nobody acknowledged it in time
    CHANNEL_REFUSED = "channel_refused"  # a receiver refused for good (vendor code in detail)
    FINDING_APPROVED = "finding_approved"  # notices: what was decided is in `detail`, where to see it in `link`
    APPEAL_DECIDED = "appeal_decided"
    EXEMPTION_DECIDED = "exemption_decided"
    MONTH_BULLETIN = "month_bulletin"  # close-month: the unit's result
    MONTH_RANKING = "month_ranking"  # close-month: the rankings, to the command centre and supervision
    APPEAL_WINDOW_CLOSING = "appeal_window_closing"  # an approved finding not appealed, its window ends soon
    EXEMPTION_WINDOW_CLOSING = "exemption_window_closing"  # cases that cost points, no 核减 applied, window ends soon
    OVERDUE_RISK = "overdue_risk"  # 风险预警: likely late before the ordinary warning (the chance in `detail`)


REASON_ZH = {
    Reason.DEADLINE_WARNING: "处置时限已用 80%",
    Reason.OVERDUE_LEVEL_1: "超期（一级：责任单位）",
    Reason.OVERDUE_LEVEL_2: "超期过半个时限（二级：单位领导、指挥中心）",
    Reason.OVERDUE_LEVEL_3: "超期达整个时限（三级：督办）",
    Reason.OVERDUE_WHOLE_LIMIT: "超期达整个时限，自动督办",
    Reason.SUPERVISED: "督办",
    Reason.SUPERVISION_DEADLINE: "督办时限已到，仍未处置",
    Reason.SECOND_REWORK: "同一派遣二次返工，自动督办",
    Reason.REPEAT_CASE: "重复案件，自动督办",
    Reason.RESOLVED: "已处置、回退或结案",
    Reason.BELOW_TARGET: "本月按期处置率低于目标",
    Reason.UNACKNOWLEDGED: "超期告警未确认，已升级",
    Reason.CHANNEL_REFUSED: "通道拒收，已停止重试",
    Reason.FINDING_APPROVED: "考核扣分已批准",
    Reason.APPEAL_DECIDED: "申诉已裁决",
    Reason.EXEMPTION_DECIDED: "核减申请已审核",
    Reason.MONTH_BULLETIN: "月度考核通报",
    Reason.MONTH_RANKING: "月度考核排名",
    Reason.APPEAL_WINDOW_CLOSING: "申诉期即将截止",
    Reason.EXEMPTION_WINDOW_CLOSING: "核减申请即将截止",
    Reason.OVERDUE_RISK: "预计可能超期",
}

Recipient = Literal["unit", "leadership", "command_centre", "supervision"]


class CaseFacts(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """What a person needs to recognise the case (contract.facts), all text from the platform."""

    description: str = ""
    address: str = ""
    category: str = ""
    major: str = ""
    minor: str = ""
    region: str = ""
    grid: str = ""
    supervision_reason: str = ""


class AlertMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    alert_id: str
    type: AlertType
    unit: str
    level: int
    due_at: str  # ISO-8601 instant with offset: when the alert fell due
    reason: Reason
    schema: str = SCHEMA
    case_id: str = ""  # "" for a unit-wide alert
    assignment: int = -1
    reminder: int = 0
    recipients: tuple[Recipient, ...] = ("unit",)
    detail: str = ""
    case: CaseFacts = CaseFacts()
    deadline: str | None = None  # the deadline in force at `due_at`
    limit_kind: Literal["working", "calendar"] | None = None
    deadline_of: Literal["assignment", "supervision"] | None = None
    raised_at: str | None = None  # notify's escalations: when raised (not the original instant)
    escalated_from: str | None = None
    receiver: str | None = None  # channel_failed: the receiver that refused
    redelivery: bool = False  # sent before a crash, maybe received: drop it if you have its alert_id
    link: str | None = None  # notices: the page where the unit sees it (its standing)


_decoder = msgspec.json.Decoder(AlertMessage)


def encode(alert: AlertMessage) -> bytes:
    return msgspec.json.encode(alert)


def decode(raw: bytes | str) -> AlertMessage:
    """An alert from its JSON; msgspec.ValidationError or msgspec.DecodeError names what is wrong."""
    try:
        alert = _decoder.decode(raw)
    except msgspec.ValidationError:
        doc = msgspec.json.decode(raw)
        fixed = legacy(doc) if isinstance(doc, dict) else None
        if fixed is None:
            raise
        alert = msgspec.convert(fixed, AlertMessage)
    if alert.schema != SCHEMA:
        raise msgspec.ValidationError(f"Expected schema {SCHEMA!r}, got {alert.schema!r} - at `$.schema`")
    return alert


def as_json(alert: AlertMessage) -> dict[str, Any]:
    """The alert as JSON-ready builtins (what a webhook receives)."""
    out: dict[str, Any] = msgspec.to_builtins(alert)
    return out


def legacy(doc: dict[str, Any]) -> dict[str, Any] | None:
    """Alerts stored before the contract carried free-text reasons; None when it is not one of those."""
    reason = str(doc.get("reason", ""))
    if reason in Reason.__members__.values():
        return None
    for prefix, code in (("month-to-date", Reason.BELOW_TARGET), ("未确认超期告警升级", Reason.UNACKNOWLEDGED)):
        if reason.startswith(prefix):
            return {**doc, "reason": code.value, "detail": reason}
    if "通道拒收" in reason:
        return {**doc, "reason": Reason.CHANNEL_REFUSED.value, "detail": reason}
    return None
