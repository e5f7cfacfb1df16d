"""What a unit is told when a decision about its numbers is made (issue #32, 告知), as alerts of type
`notice` on the alerts topic: a finding against it approved (what, how many points, the appeal deadline),
an appeal decided, an exemption application decided. Pure: the caller gives the time and the link, and
queues the notices in the transaction that made the decision, so each is sent once whatever restarts.
An id names the decision (the record or application and how far its history had come), never the time."""

from __future__ import annotations

import hashlib
from datetime import datetime

from caseflow.contract.alert import AlertMessage, AlertType, Reason
from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Record
from caseflow.domain.exemption_requests import Application
from caseflow.instants import SHANGHAI, iso

DAY = 86_400_000
KIND_ZH = {"exclude": "案件核减", "on_time": "超期核减", "rework": "返工核减"}
OUTCOME_ZH = {"approved": "已批准", "rejected": "已驳回", "upheld": "维持扣分", "reversed": "撤销扣分"}


def notice_id(kind: str, subject: str, step: int) -> str:
    return hashlib.sha256(f"notice|{kind}|{subject}|{step}".encode()).hexdigest()[:24]


def _day(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, SHANGHAI)
    return f"{t.month}月{t.day}日{t:%H:%M}"


def _notice(alert_id: str, unit: str, reason: Reason, detail: str, now: int, link: str) -> AlertMessage:
    return AlertMessage(alert_id, AlertType.NOTICE, unit, 0, iso(now), reason, detail=detail,
                        recipients=("unit",), link=link or None)


def finding_points(record: Record, template: Template | None) -> str:
    """How many points a finding costs, as the template says (a judgement: what the assessor gave)."""
    item = template.items().get(record.item) if template is not None else None
    found = next((d for d in item.deductions if d.id == record.deduction), None) if item is not None else None
    if found is None:
        return f"{record.points:g} 分" if record.points is not None else "见考核记录"
    if found.kind == "per_occurrence":
        return f"{found.points * record.occurrences:g} 分（{record.occurrences} 处）"
    if found.kind == "zero":
        return "本项不得分"
    return f"{(record.points if found.kind == 'judgement' and record.points is not None else found.points):g} 分"


def on_record_changed(before: Record, after: Record, template: Template | None, now: int, appeal_days: int,
                      link: str) -> list[AlertMessage]:
    """The notices a record's step makes: a finding approved, or its appeal decided."""
    name = template.name if template is not None else after.template
    item = template.items().get(after.item) if template is not None else None
    what = f"{name}｜{item.name if item is not None else after.item}"
    step = len(after.history)
    out = []
    if after.kind == "finding" and after.status == "approved" and before.status != "approved":
        until = (after.approved_at or now) + appeal_days * DAY
        out.append(_notice(notice_id("finding", after.id, step), after.subject, Reason.FINDING_APPROVED,
                           f"{what}，扣 {finding_points(after, template)}；如有异议请于 {_day(until)} 前申诉",
                           now, link))
    was = before.appeal.status if before.appeal is not None else None
    now_status = after.appeal.status if after.appeal is not None else None
    if was == "open" and now_status in ("upheld", "reversed") and after.appeal is not None:
        out.append(_notice(notice_id("appeal", after.id, step), after.subject, Reason.APPEAL_DECIDED,
                           f"{what}：{OUTCOME_ZH[now_status]}" + (f"（{after.appeal.decision}）"
                                                                  if after.appeal.decision else ""), now, link))
    return out


def on_application_decided(application: Application, now: int, link: str) -> list[AlertMessage]:
    a = application
    if a.status not in ("approved", "rejected"):
        return []
    detail = (f"{a.case_id} {KIND_ZH.get(a.kind, a.kind)}：{OUTCOME_ZH[a.status]}"
              + (f"（{a.decision}）" if a.decision else ""))
    return [_notice(notice_id("exemption", a.id, len(a.history)), a.unit_id, Reason.EXEMPTION_DECIDED, detail,
                    now, link)]
