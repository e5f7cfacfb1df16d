"""Repeat cases (重复案件, rules §6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from caseflow.domain.asof import filed_by
from caseflow.domain.state import CaseState

RepeatKey = tuple[str, str, str, str]  # major, minor, grid, road grade
REPEAT_THRESHOLD = {"primary": 2, "key_area": 2, "secondary": 3, "backstreet": 4}


def repeat_key(case: CaseState) -> RepeatKey:
    return (case.major, case.minor, case.grid, case.road_grade)


def counts_for_repeats(case: CaseState, excluded: frozenset[tuple[str, str]]) -> bool:
    return case.category == "event" and (case.major, case.minor) not in excluded


RepeatCandidate = tuple[RepeatKey, int, str]  # (repeat key, reported_at, case_id)


def repeat_cases(
    cases: Iterable[CaseState], start: int, end: int, as_of: int, excluded: frozenset[tuple[str, str]]
) -> set[str]:
    """Ids of the cases that are repeats in period [start, end) evaluated at as_of."""
    return repeats_among(repeat_candidates(cases, start, end, as_of, excluded))


def repeat_candidates(
    cases: Iterable[CaseState], start: int, end: int, as_of: int, excluded: frozenset[tuple[str, str]]
) -> list[RepeatCandidate]:
    """The cases that could be repeats of one another: filed events reported in the period."""
    return [
        (repeat_key(case), case.reported_at, case.case_id)
        for case in cases
        if start <= case.reported_at < end and case.reported_at <= as_of
        and counts_for_repeats(case, excluded) and filed_by(case, as_of)
    ]


def repeats_among(candidates: Iterable[RepeatCandidate]) -> set[str]:
    """From the k-th report of the same problem at the same place on, each is a repeat."""
    groups: dict[RepeatKey, list[tuple[int, str]]] = defaultdict(list)
    for key, reported_at, case_id in candidates:
        groups[key].append((reported_at, case_id))
    repeats: set[str] = set()
    for key, members in groups.items():
        k = REPEAT_THRESHOLD.get(key[3], 3)
        if len(members) >= k:
            members.sort()
            repeats.update(case_id for _, case_id in members[k - 1 :])
    return repeats
