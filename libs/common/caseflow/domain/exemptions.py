"""Exemptions (核减, rules §4a): approved decisions that take one assignment out of a count.

An exemption names an assignment by (case id, unit, the assignment's dispatched_at) and has one kind:
`exclude` (案件核减: the assignment leaves every §4 count and counts in `exempted`), `on_time` (超期核减:
its deadline never passes: due only once disposed, then on time; never overdue) or `rework`
(返工核减: its rework events are not counted). Only approved ones are given here; they apply whatever
the as-of (people's decisions, like manual evaluations). One naming no assignment, or a returned one,
changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from caseflow.domain.state import Assignment

KINDS = ("exclude", "on_time", "rework")
AssignmentKey = tuple[str, str, int]  # (case id, unit, dispatched_at in epoch ms)


@dataclass(frozen=True)
class Exemptions:
    kinds: Mapping[AssignmentKey, frozenset[str]] = field(default_factory=dict)

    def of(self, case_id: str, a: Assignment) -> frozenset[str]:
        if not self.kinds:
            return NO_KINDS
        return self.kinds.get((case_id, a.unit, a.dispatched_at), NO_KINDS)

    def __bool__(self) -> bool:
        return bool(self.kinds)


NO_KINDS: frozenset[str] = frozenset()
NONE = Exemptions()


def approved(decided: Iterable[tuple[str, str, int, str]]) -> Exemptions:
    """(case id, unit, dispatched_at, kind) of the approved exemptions; an unknown kind is a ValueError."""
    kinds: dict[AssignmentKey, set[str]] = {}
    for case_id, unit, dispatched_at, kind in decided:
        if kind not in KINDS:
            raise ValueError(f"exemption kind {kind!r}: expected one of {', '.join(KINDS)}")
        kinds.setdefault((case_id, unit, dispatched_at), set()).add(kind)
    return Exemptions({key: frozenset(found) for key, found in kinds.items()})
