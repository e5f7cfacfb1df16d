"""Assessment records and their workflow (docs/rules.md §10): a finding (deduction), a grade or a bonus
for one unit or region, period and template item, with its evidence. Every record moves draft ->
submitted -> approved (a bonus is verified on the way: declared by the assessed party, verified by an
assessor, approved by an approver), or is withdrawn; an approved finding may be appealed (申诉) by the
assessed party within the template's days, and an approver upholds or reverses it. Every change is kept
with who, when, the old and new value and why; nothing is deleted.

Pure: `decide(record, command, now)` returns the new record or a Refusal saying why."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from caseflow.domain.assessment import Entry, Finding

DAY = 86_400_000
KINDS = ("finding", "grade", "bonus")
ROLES = ("assessor", "approver", "unit")


@dataclass(frozen=True)
class Change:
    at: int
    who: str
    action: str
    old: Any = None
    new: Any = None
    why: str = ""


@dataclass(frozen=True)
class Appeal:
    reason: str
    at: int
    files: tuple[str, ...] = ()  # attachment hashes
    status: str = "open"  # open | upheld | reversed
    decided_by: str = ""
    decision: str = ""


@dataclass(frozen=True)
class Record:
    id: str
    template: str
    subject: str  # the unit or region assessed
    period: str
    item: str
    kind: str  # finding | grade | bonus
    created_by: str
    created_at: int
    points: float | None = None  # grade, bonus, or a judgement deduction
    deduction: str = ""  # finding: which of the item's deductions
    occurrences: int = 1
    evidence: str = ""
    files: tuple[str, ...] = ()
    status: str = "draft"  # draft | submitted | verified | approved | withdrawn
    approved_at: int | None = None
    appeal: Appeal | None = None
    history: tuple[Change, ...] = ()

    @property
    def counts(self) -> bool:
        """Whether the record enters the score: approved, and not reversed on appeal."""
        return self.status == "approved" and not (self.appeal is not None and self.appeal.status == "reversed")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # assessor | approver | unit
    unit: str = ""  # a unit's own id (role unit)


@dataclass(frozen=True)
class Command:
    action: str  # edit | submit | verify | approve | withdraw | appeal | uphold | reverse
    actor: Actor
    why: str = ""
    changes: tuple[tuple[str, Any], ...] = ()  # edit: (field, new value)
    files: tuple[str, ...] = ()  # appeal: attachment hashes


@dataclass(frozen=True)
class Refusal:
    reason: str
    forbidden: bool = False  # the actor's role or party may not do this (else: not in this state)


EDITABLE = ("points", "deduction", "occurrences", "evidence", "files")
# action -> (roles allowed, statuses it applies to, status after)
_MOVES = {
    "submit": (("assessor", "unit"), ("draft",), "submitted"),
    "verify": (("assessor",), ("submitted",), "verified"),
    "approve": (("approver",), ("submitted", "verified"), "approved"),
    "withdraw": (("assessor", "approver", "unit"), ("draft", "submitted", "verified"), "withdrawn"),
}


def _owner_check(record: Record, actor: Actor) -> Refusal | None:
    if actor.role == "unit" and actor.unit != record.subject:
        return Refusal(f"{actor.name} is {actor.unit!r}: it may act only on its own records, not {record.subject!r}",
                       forbidden=True)
    if actor.role == "unit" and record.kind != "bonus" and record.created_by != actor.name:
        return Refusal("the assessed party declares bonuses and appeals; findings and grades are the assessors'",
                       forbidden=True)
    return None


def decide(record: Record, command: Command, now: int, appeal_days: int = 7) -> Record | Refusal:
    actor, action = command.actor, command.action
    if actor.role not in ROLES:
        return Refusal(f"unknown role {actor.role!r}", forbidden=True)
    log = Change(now, actor.name, action, why=command.why)
    if action == "edit":
        if record.status != "draft":
            return Refusal(f"a {record.status} record is not edited; withdraw it and record a new one")
        refused = _owner_check(record, actor) if actor.role == "unit" else None
        if refused or actor.role == "approver":
            return refused or Refusal("approvers approve; assessors edit", forbidden=True)
        unknown = [k for k, _ in command.changes if k not in EDITABLE]
        if unknown:
            return Refusal(f"cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
        changed, history = record, list(record.history)
        for key, value in command.changes:
            history.append(replace(log, old=getattr(record, key), new=value, action=f"edit {key}"))
            changed = replace(changed, **{key: value})
        return replace(changed, history=tuple(history))
    if action in _MOVES:
        roles, before, after = _MOVES[action]
        if actor.role not in roles:
            return Refusal(f"a {actor.role} may not {action} (allowed: {', '.join(roles)})", forbidden=True)
        if actor.role == "unit" and (refused := _owner_check(record, actor)):
            return refused
        if record.status not in before:
            return Refusal(f"cannot {action} a {record.status} record (only {', '.join(before)})")
        if action == "verify" and record.kind != "bonus":
            return Refusal("only a bonus is verified; findings and grades go to approval")
        if action == "approve" and record.kind == "bonus" and record.status != "verified":
            return Refusal("a bonus is verified by an assessor before it is approved")
        if action == "approve" and actor.name == record.created_by:
            return Refusal("the one who recorded it does not approve it", forbidden=True)
        return replace(record, status=after, approved_at=now if after == "approved" else record.approved_at,
                       history=(*record.history, replace(log, old=record.status, new=after)))
    if action == "appeal":
        if actor.role != "unit" or actor.unit != record.subject:
            return Refusal("only the assessed unit or region appeals its own record", forbidden=True)
        if record.kind != "finding" or record.status != "approved":
            return Refusal("an approved finding (deduction) is appealed; nothing else")
        if record.appeal is not None:
            return Refusal("this finding was appealed already")
        if record.approved_at is not None and now > record.approved_at + appeal_days * DAY:
            return Refusal(f"the {appeal_days} days to appeal ended")
        if not command.why.strip():
            return Refusal("an appeal gives its reason")
        appeal = Appeal(command.why, now, command.files)
        return replace(record, appeal=appeal, history=(*record.history, replace(log, new="open")))
    if action in ("uphold", "reverse"):
        if actor.role not in ("assessor", "approver"):
            return Refusal("an assessor or an approver decides an appeal", forbidden=True)
        if actor.name == record.created_by:
            return Refusal("the one who recorded the finding does not decide its appeal", forbidden=True)
        if record.appeal is None or record.appeal.status != "open":
            return Refusal("no open appeal on this record")
        if not command.why.strip():
            return Refusal("the decision gives its reason")
        status = "upheld" if action == "uphold" else "reversed"
        decided = replace(record.appeal, status=status, decided_by=actor.name, decision=command.why)
        return replace(record, appeal=decided, history=(*record.history, replace(log, old="open", new=status)))
    return Refusal(f"unknown action {action!r}")


def create(record: Record, actor: Actor) -> Record | Refusal:
    """A new draft: assessors record findings and grades; the assessed party declares its bonuses."""
    if record.kind not in KINDS:
        return Refusal(f"a record is one of {', '.join(KINDS)}, not {record.kind!r}")
    if actor.role == "unit" and (record.kind != "bonus" or actor.unit != record.subject):
        return Refusal("the assessed party declares its own bonuses; findings and grades are the assessors'",
                       forbidden=True)
    if actor.role == "approver":
        return Refusal("approvers approve; assessors record", forbidden=True)
    return replace(record, status="draft", created_by=actor.name,
                   history=(Change(record.created_at, actor.name, "create", new=record.kind),))


def inputs_of(records: list[Record]) -> tuple[list[Finding], list[Entry], list[Entry]]:
    """The approved records that count (not reversed on appeal), as the scoring's findings, grades and
    bonuses, in the order they were approved."""
    counted = sorted((r for r in records if r.counts), key=lambda r: (r.approved_at or 0, r.id))
    findings = [Finding(r.item, r.deduction, r.occurrences, r.points, r.id) for r in counted if r.kind == "finding"]
    grades = [Entry(r.item, r.points or 0.0, r.id) for r in counted if r.kind == "grade"]
    bonuses = [Entry(r.item, r.points or 0.0, r.id) for r in counted if r.kind == "bonus"]
    return findings, grades, bonuses
