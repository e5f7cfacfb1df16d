"""A robot's messages from a receiver's entries (pure): as few as the vendor's limits allow, each with a
header naming the unit and counting 督办, 超期 and 即将超期, most urgent entries first; and the one
digest that tells a receiver of its late alerts after a backlog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from caseflow.contract.alert import AlertMessage, AlertType, Reason
from caseflow_notify.content import Context, Entry, entry_lines, unit_name
from caseflow_notify.untrusted import inert


@dataclass(frozen=True)
class Draft:
    """One message's alerts and markdown, before it is wrapped for a vendor."""

    alert_ids: tuple[str, ...]
    title: str
    text: str


# A robot message sent again after notify stopped during its request: the group may have it already.
AGAIN = "（重发：上次发送时通知服务中断，如已收到请勿重复处理）"


def _who(units: list[str], ctx: Context) -> str:
    """The unit's name, or how many units share the message (a robot shared by several)."""
    return unit_name(units[0], ctx) if len(units) == 1 else f"{len(units)} 个单位"


def header(entries: Sequence[Entry], ctx: Context, part: str) -> tuple[str, list[str]]:
    units = sorted({e.unit for e in entries})
    who = _who(units, ctx)
    overdue = sum(1 for e in entries if e.lead.type is AlertType.OVERDUE)
    # a pre-warning (风险预警) comes before the ordinary warning's point: not counted as 即将超期
    risky = sum(1 for e in entries if e.lead.reason is Reason.OVERDUE_RISK)
    warned = sum(1 for e in entries if e.lead.type is AlertType.DEADLINE_WARNING) - risky
    supervised = sum(1 for e in entries if e.lead.type is AlertType.SUPERVISION)
    notices = sum(1 for e in entries if e.lead.type is AlertType.NOTICE)
    counts = "，".join(f"{name} {n} 件" for name, n in (("督办", supervised), ("超期", overdue), ("即将超期", warned),
                                                     ("风险预警", risky)) if n) or f"{len(entries)} 条"
    title = f"城管考核通知：{who}{part}" if notices == len(entries) else f"城管案件告警：{who}{part}"
    lines = [f"### {title}"] if notices == len(entries) == 1 else [f"### {title}", f"**{counts}**"]
    if any(e.again for e in entries):
        lines.append(AGAIN)
    board = ctx.links.board(units[0], ctx.now_ms) if len(units) == 1 else ""
    if board:
        lines.append(f"[打开本单位案件看板]({board})")
    return title, lines


def pack(entries: Sequence[Entry], ctx: Context, fits: Callable[[str, str], bool],
         free_text: int = 200) -> list[Draft]:
    """Entries into as few messages as `fits(title, text)` allows, most urgent first, each description
    and address at most `free_text` characters (SMS wants them short). An entry too big alone is told
    with shorter free text."""
    with_unit = len({e.unit for e in entries}) > 1
    groups: list[list[tuple[Entry, list[str]]]] = [[]]
    rooms = (free_text, *(r for r in (60, 20, 0) if r < free_text))
    for entry in entries:
        for room in rooms:
            lines = entry_lines(entry, ctx, with_unit, room)
            candidate = [*groups[-1], (entry, lines)]
            if fits(*render(candidate, ctx, " (99/99)")):
                groups[-1] = candidate
                break
            if groups[-1] and fits(*render([(entry, lines)], ctx, " (99/99)")):
                groups.append([(entry, lines)])
                break
        else:
            raise ValueError(f"case {entry.case_id}: even its shortest entry does not fit one message")
    groups = [g for g in groups if g]
    drafts = []
    for i, group in enumerate(groups):
        part = f" ({i + 1}/{len(groups)})" if len(groups) > 1 else ""
        title, text = render(group, ctx, part)
        drafts.append(Draft(tuple(a for e, _ in group for a in e.alert_ids), title, text))
    return drafts


def render(group: Sequence[tuple[Entry, list[str]]], ctx: Context, part: str) -> tuple[str, str]:
    title, lines = header([e for e, _ in group], ctx, part)
    for _, entry in group:
        lines += ["", *entry]
    return title, "\n".join(lines)


def digest(alerts: Sequence[AlertMessage], still_overdue: Sequence[str], ctx: Context,
           fits: Callable[[str, str], bool]) -> Draft:
    """Catching up (history resent, hours of downtime): one message for all of a receiver's late
    alerts, naming as many of the cases still overdue as fit."""
    units = sorted({a.unit for a in alerts})
    who = _who(units, ctx)
    title = f"城管案件告警补发：{who}"
    head = [f"### {title}", f"**补发: {len(alerts)} 条历史告警, 其中 {len(still_overdue)} 件仍超期**"]
    if any(a.redelivery for a in alerts):
        head.append(AGAIN)
    board = ctx.links.board(units[0], ctx.now_ms) if len(units) == 1 else ""
    if board:
        head.append(f"[打开本单位案件看板查看全部]({board})")
    named: list[str] = []
    for case_id in (inert(c, 64) for c in still_overdue):
        candidate = [*head, "", "仍超期：" + "、".join([*named, case_id])]
        if not fits(title, "\n".join(candidate)):
            break
        named.append(case_id)
    text = "\n".join([*head, "", "仍超期：" + "、".join(named)] if named else head)
    if len(named) < len(still_overdue) and named:
        more = f"{text} 等"
        text = more if fits(title, more) else text
    return Draft(tuple(a.alert_id for a in alerts), title, text)
