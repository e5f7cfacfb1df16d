"""Reminders before a window closes (issue #32, 告知): a unit with an approved finding it has not appealed,
its appeal window ending within the lead; a unit with cases that cost it points and no 核减 application
for them, the month's application window ending within the lead. Pure: the caller gives the time, the
records, the counts and the links. One reminder per finding, and per unit and month: its id names the
window, never the time, so a reminder is told once however often this runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from caseflow.contract.alert import AlertMessage, Reason
from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Record
from caseflow_scoring.notices import DAY, _day, _notice, finding_points, notice_id


@dataclass(frozen=True)
class Lead:
    """How long before a window closes the reminder goes out (0: never)."""

    ms: int

    def due(self, closes_at: int, now: int) -> bool:
        return self.ms > 0 and closes_at - self.ms <= now < closes_at


def appeal_reminders(findings: Sequence[Record], templates: Mapping[str, Template], now: int, appeal_days: int,
                     lead: Lead, link_of: Callable[[str], str]) -> list[AlertMessage]:
    out = []
    for r in findings:
        if r.kind != "finding" or r.status != "approved" or r.appeal is not None or r.approved_at is None:
            continue
        closes = r.approved_at + appeal_days * DAY
        if not lead.due(closes, now):
            continue
        template = templates.get(r.template)
        item = template.items().get(r.item) if template is not None else None
        what = f"{template.name if template else r.template}｜{item.name if item else r.item}"
        out.append(_notice(notice_id("appeal-window", r.id, 0), r.subject, Reason.APPEAL_WINDOW_CLOSING,
                           f"{what}（扣 {finding_points(r, template)}）的申诉期将于 {_day(closes)} 截止，尚未申诉",
                           now, link_of(r.subject)))
    return out


def exemption_reminders(period: str, closes_at: int, unapplied: Mapping[str, int], now: int, lead: Lead,
                        link_of: Callable[[str], str]) -> list[AlertMessage]:
    """`unapplied`: per unit, its cases of the month that cost it points with no application."""
    if not lead.due(closes_at, now):
        return []
    return [_notice(notice_id("exemption-window", f"{period}|{unit}", 0), unit, Reason.EXEMPTION_WINDOW_CLOSING,
                    f"{period} 的核减申请将于 {_day(closes_at)} 截止：本单位尚有 {n} 件扣分案件未申请核减"
                    "（不符合核减条件的无需申请）", now, link_of(unit))
            for unit, n in sorted(unapplied.items()) if n > 0]
