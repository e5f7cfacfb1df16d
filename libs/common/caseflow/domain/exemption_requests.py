"""Exemption applications (核减申请, rules §4a): a unit asks that one of its assignments be taken out of a
count (`exclude`), never be late (`on_time`) or have its reworks not counted (`rework`), with a reason
from the deployment's list, free text and evidence files, within the window after the month (by default
until the end of the 5th working day after it ends). The command centre approves or rejects it with a
reason, and may change its decision until the month is closed. Only approved ones count
(domain.exemptions); every change is kept with who, when, old, new and why; nothing is deleted.

Pure: `apply_for(...)` and `decide(...)` return the new application or a Refusal saying why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from caseflow.domain.assessment_records import Actor, Change, Refusal
from caseflow.domain.calendar import WorkingCalendar, day_start, local_day
from caseflow.domain.exemptions import KINDS, Exemptions, approved

STATUSES = ("pending", "approved", "rejected")
DECISIONS = {"approve": "approved", "reject": "rejected"}


@dataclass(frozen=True)
class Application:
    id: str
    period: str  # the month the assignment was dispatched in (yyyy-mm)
    case_id: str
    unit_id: str
    dispatched_at: int  # epoch ms: with case and unit, names the assignment
    kind: str  # exclude | on_time | rework
    reason: str  # a code of the deployment's reasons
    applied_by: str
    applied_at: int
    text: str = ""
    files: tuple[str, ...] = ()  # evidence, by hash (the assessment files)
    status: str = "pending"  # pending | approved | rejected
    decided_by: str = ""
    decided_at: int | None = None
    decision: str = ""  # the command centre's reason
    history: tuple[Change, ...] = ()


def window_end(calendar: WorkingCalendar, period_end: int, working_days: int) -> int:
    """The instant the window for a month's applications closes: the end of the `working_days`-th working
    day after the month ends (its first instant `period_end`)."""
    day, left = local_day(period_end), working_days
    while True:
        if calendar.is_workday(day):
            left -= 1
            if left <= 0:
                return day_start(day + 1)
        day += 1


def apply_for(draft: Application, actor: Actor, now: int, closes_at: int, reasons: Mapping[str, str],
              assignments: Iterable[tuple[str, int]]) -> Application | Refusal:
    """`assignments`: (unit, dispatched_at) of every assignment the case has (none if there is no such
    case); `closes_at`: the end of the period's window."""
    if actor.role != "unit":
        return Refusal("a unit applies for its own exemptions, with its own token", forbidden=True)
    if actor.unit != draft.unit_id:
        return Refusal(f"this token belongs to {actor.unit!r}, not {draft.unit_id!r}", forbidden=True)
    if draft.kind not in KINDS:
        return Refusal(f"kind {draft.kind!r}: expected one of {', '.join(KINDS)}")
    if draft.reason not in reasons:
        return Refusal(f"reason {draft.reason!r}: expected one of "
                       + ", ".join(f"{code} ({label})" for code, label in reasons.items()))
    if now >= closes_at:
        return Refusal(f"the window for {draft.period}'s exemptions has closed (rules §4a)")
    held = list(assignments)
    if (draft.unit_id, draft.dispatched_at) not in held:
        others = sorted({unit for unit, at in held if at == draft.dispatched_at})
        if others:
            return Refusal(f"case {draft.case_id}'s assignment dispatched then is {', '.join(others)}'s, "
                           f"not {draft.unit_id}'s", forbidden=True)
        return Refusal(f"case {draft.case_id!r} has no assignment to {draft.unit_id} dispatched at that instant"
                       + ("" if held else " (no such case)"))
    change = Change(now, actor.name, "apply", None, "pending", draft.text)
    return replace(draft, status="pending", applied_by=actor.name, applied_at=now, history=(change,))


def decide(application: Application, action: str, actor: Actor, why: str, now: int) -> Application | Refusal:
    """The command centre approves or rejects (again, until the month is closed), always with a reason."""
    if action not in DECISIONS:
        return Refusal(f"action {action!r}: expected one of {', '.join(DECISIONS)}")
    if actor.role != "approver":
        return Refusal("deciding an exemption needs an approver's key (CASEFLOW_ASSESSMENT_APPROVERS)",
                       forbidden=True)
    if not why.strip():
        return Refusal(f"say why you {action} it (why)")
    status = DECISIONS[action]
    if application.status == status:
        return Refusal(f"application {application.id} is already {status}")
    change = Change(now, actor.name, action, application.status, status, why)
    return replace(application, status=status, decided_by=actor.name, decided_at=now, decision=why,
                   history=(*application.history, change))


def exemptions_of(applications: Iterable[Application]) -> Exemptions:
    """The approved applications as the rule applies them."""
    return approved((a.case_id, a.unit_id, a.dispatched_at, a.kind) for a in applications
                    if a.status == "approved")
