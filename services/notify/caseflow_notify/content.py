"""What a unit worker reads in a DingTalk or WeCom group (pure: the caller gives the time and calendar).

One entry per case (not per reminder): level by name, description, address, category, the deadline
in local time, how long overdue in working time, the supervision reason in words, links to the case
on the platform and to the unit's board. Entries are sorted most urgent first (督办 and level 3,
then level 2, level 1, warnings, resolutions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from caseflow.access.links import link_token
from caseflow.contract.alert import REASON_ZH, AlertMessage, AlertType, Reason
from caseflow.contract.enums import SUPERVISION_REASON_ZH
from caseflow.domain.calendar import WorkingCalendar
from caseflow.instants import SHANGHAI
from caseflow_notify.untrusted import in_url, inert

_OUR_LINK = re.compile(r"https?://[^\s()\[\]<>]+")  # a link that cannot end or break the markup around it
CATEGORY_ZH = {"event": "事件", "component": "部件"}


@dataclass(frozen=True)
class Links:
    case_url: str = ""  # template with {case_id}
    board_url: str = ""  # template with {unit}
    # links to our own pages (these prefixes) carry the unit's link token in the fragment, which
    # browsers never send to a server or proxy (caseflow.access.links); no secret: plain links
    secret: str = ""
    lifetime_s: int = 7 * 86400
    ours: tuple[str, ...] = ()

    def case(self, case_id: str) -> str:
        return self.case_url.format(case_id=in_url(case_id)) if self.case_url and case_id else ""

    def board(self, unit: str, now_ms: int) -> str:
        return self.for_unit(self.board_url.format(unit=in_url(unit)), unit, now_ms) if self.board_url else ""

    def for_unit(self, link: str, unit: str, now_ms: int) -> str:
        if not (self.secret and unit and "#" not in link and any(link.startswith(p) for p in self.ours if p)):
            return link
        return f"{link}#token={link_token(self.secret, unit, now_ms // 1000, self.lifetime_s)}"


@dataclass(frozen=True)
class Context:
    now_ms: int
    calendar: WorkingCalendar
    unit_names: Mapping[str, str]
    links: Links = Links()


def urgency(alert: AlertMessage) -> int:
    """0 most urgent: 督办 and level 3; then level 2, level 1, warnings, resolutions."""
    if alert.type in (AlertType.SUPERVISION, AlertType.CHANNEL_FAILED) or alert.level >= 3:
        return 0
    if alert.type is AlertType.OVERDUE:
        return 3 - alert.level  # level 2 -> 1, level 1 -> 2
    return 3 if alert.type is AlertType.DEADLINE_WARNING else 4


LEVEL_NAMES = {AlertType.DEADLINE_WARNING: "预警", AlertType.SUPERVISION: "督办", AlertType.RESOLVED: "已处置",
               AlertType.CHANNEL_FAILED: "通道故障", AlertType.NOTICE: "通知"}


def level_name(alert: AlertMessage) -> str:
    if alert.type is AlertType.OVERDUE:
        return {1: "一级", 2: "二级"}.get(alert.level, "三级督办")
    if alert.reason is Reason.OVERDUE_RISK:  # before the ordinary warning: named apart from it
        return "风险预警"
    return LEVEL_NAMES[alert.type]


def reason_zh(alert: AlertMessage) -> str:
    """The reason in words, with what varies (a rate, minutes, a vendor's code) after it."""
    return f"{REASON_ZH[alert.reason]}（{alert.detail}）" if alert.detail else REASON_ZH[alert.reason]


def local_time(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, SHANGHAI)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def duration_zh(ms: int) -> str:
    minutes = max(0, ms) // 60_000
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{mins:02d}分" if hours else f"{mins}分钟"


def instant_ms(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    except ValueError:
        return None


def time_left(alert: AlertMessage, ctx: Context) -> str:
    """"已超期 2小时15分" (working time for a working-hours limit) or "剩余 40分钟"."""
    deadline = instant_ms(alert.deadline)
    if deadline is None:
        return ""
    working = alert.limit_kind == "working"

    def between(a: int, b: int) -> int:
        return ctx.calendar.working_between(a, b) if working else b - a

    suffix = "（工作时间）" if working else ""
    if ctx.now_ms >= deadline:
        late = between(deadline, ctx.now_ms)
        return f"已超期 {duration_zh(late)}{suffix}" if late >= 60_000 else "已到期"
    return f"剩余 {duration_zh(between(ctx.now_ms, deadline))}{suffix}"


@dataclass(frozen=True)
class Entry:
    """One case's alerts for one unit, told as one entry."""

    unit: str
    case_id: str
    alert_ids: tuple[str, ...]
    lead: AlertMessage  # the most urgent alert
    reasons: tuple[str, ...]
    again: bool = False  # sent before a crash, maybe received (a robot cannot drop it by id: people are told)

    @property
    def rank(self) -> int:
        return urgency(self.lead)


def entries_of(alerts: Sequence[AlertMessage]) -> list[Entry]:
    """Alerts grouped per (unit, case), most urgent first; unit-wide alerts (no case) stand alone."""
    groups: dict[tuple[str, str], list[AlertMessage]] = {}
    for a in alerts:
        groups.setdefault((a.unit, a.case_id or f"#{a.alert_id}"), []).append(a)
    out = []
    for (unit, _), members in groups.items():
        members.sort(key=lambda a: (urgency(a), -a.level, a.due_at))
        reasons = tuple(dict.fromkeys(reason_zh(a) for a in members))
        out.append(Entry(unit, members[0].case_id, tuple(a.alert_id for a in members), members[0], reasons,
                         any(a.redelivery for a in members)))
    out.sort(key=lambda e: (e.rank, e.lead.deadline or e.lead.due_at, e.case_id))
    return out


def unit_name(unit: str, ctx: Context) -> str:
    return inert(ctx.unit_names.get(unit, unit), 60)


def entry_lines(entry: Entry, ctx: Context, with_unit: bool, room: int = 200) -> list[str]:
    """Markdown lines of one entry; `room` bounds the free-text fields (description, address). Every
    value from the platform is made inert first (untrusted.py)."""
    lead, facts = entry.lead, entry.lead.case
    if lead.type is AlertType.NOTICE:  # a decision about the unit's numbers, not a case's deadline
        lines = [f"#### 【通知】{REASON_ZH[lead.reason]}"]
        if with_unit:
            lines.append(f"- 单位：{unit_name(entry.unit, ctx)}")
        lines.append(f"- {inert(lead.detail, max(room, 60) * 2)}")
        if lead.link and _OUR_LINK.fullmatch(lead.link):
            lines.append(f"- [查看本单位考核看板]({ctx.links.for_unit(lead.link, entry.unit, ctx.now_ms)})")
        return lines
    case_id = inert(entry.case_id, 64) if entry.case_id else "（全单位）"
    lines = [f"#### 【{level_name(lead)}】{case_id}"]
    if with_unit:
        lines.append(f"- 责任单位：{unit_name(entry.unit, ctx)}")
    if facts.description:
        category = CATEGORY_ZH.get(facts.category, "")
        codes = inert("-".join(c for c in (facts.major, facts.minor) if c), 40)
        kind = f"（{category} {codes}）".replace("（ ", "（") if category or codes else ""
        lines.append(f"- 问题：{inert(facts.description, room)}{kind}")
    if facts.address:
        lines.append(f"- 地址：{inert(facts.address, room)}")
    deadline = instant_ms(lead.deadline)
    if deadline is not None and lead.type is not AlertType.RESOLVED:
        label = "督办时限" if lead.deadline_of == "supervision" else "处置时限"
        lines.append(f"- {label}：{local_time(deadline)}，{time_left(lead, ctx)}")
    reasons = "；".join(entry.reasons)
    if facts.supervision_reason and lead.type is AlertType.SUPERVISION:
        reasons += f"（{SUPERVISION_REASON_ZH.get(facts.supervision_reason, facts.supervision_reason)}）"
    lines.append(f"- 原因：{inert(reasons, room)}")
    link = ctx.links.case(entry.case_id)
    if link:
        lines.append(f"- [查看案件]({link})")
    return lines
