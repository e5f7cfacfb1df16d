"""Scoring schemes (rules §7) as data: weighted terms, ranking groups, grades."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.domain.indicators import ratio

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Term:
    """weight x value. A null value scores full marks (1) on a positive term, nothing on a negative one.

    The value is one of: an indicator `key`; a `ratio` of two counts; a `manual` input (0..1,
    entered by operators; missing scores 0 and is reported); or `steps` on a count: the first
    (upper bound, value) pair whose bound is >= the count, else `steps_else`.
    """

    weight: float
    key: str | None = None
    ratio: tuple[str, str] | None = None
    manual: str | None = None
    steps_on: str | None = None
    steps: tuple[tuple[float, float], ...] = ()
    steps_else: float = 0.0
    max_points: float | None = None  # the term never adds or deducts more than this (e.g. 最高扣分20分)

    def value(self, row: Row, manual: Mapping[str, float]) -> float | None:
        if self.key is not None:
            return row.get(self.key)
        if self.ratio is not None:
            num, den = row[self.ratio[0]], row[self.ratio[1]]
            return None if not den else num / den
        if self.manual is not None:
            return manual.get(self.manual)
        count = row[self.steps_on] if self.steps_on else 0
        return next((v for bound, v in self.steps if count <= bound), self.steps_else)


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    kind: str = "unit_score"  # unit_score | unit_listing | region_listing
    periods: tuple[str, ...] = ("month",)
    rank_within: str = "all"  # all | class
    terms: tuple[Term, ...] = ()
    grades: tuple[tuple[float, str], ...] = ()  # (lower bound, grade), highest first
    grade_else: str | None = None
    indicators: tuple[str, ...] = ()  # listing schemes: what they show
    targets: Mapping[str, float] = field(default_factory=dict)  # key -> pass when >= target
    satisfied_includes_basically: bool = False  # rules §4: `satisfied` also counts 基本满意
    honours_trials: bool = False  # listings: a place in its trial months is 试运行, not failed
    cross_month: bool = False  # scores from the cross-month counts (county-interim 第十一条, domain.cross_month)
    # a manual term fed by an assessment template's total for the unit (suning-2011 `other` from
    # suning-2011-other): term -> template id
    manual_from: Mapping[str, str] = field(default_factory=dict)

    def full_marks(self) -> float:
        """A unit's score with every positive term at its best (a value of 1, or a step's highest) and no
        deduction: what a template item `points x scheme <id>` scales the score by (county-interim: 109)."""
        total = 0.0
        for term in self.terms:
            if term.weight > 0:
                best = term.weight * max(1.0, *(v for _, v in term.steps), term.steps_else) if term.steps_on \
                    else term.weight
                total += min(best, term.max_points) if term.max_points is not None else best
        return total


def scheme_row(scheme: Scheme, row: Row) -> Row:
    """A unit's indicators as this scheme reads them (its own options applied)."""
    if not scheme.satisfied_includes_basically or "basically_satisfied" not in row:
        return row
    satisfied = row["satisfied"] + row["basically_satisfied"]
    return {**row, "satisfied": satisfied, "satisfaction_rate": ratio(satisfied, row["visits"])}


def term_points(term: Term, value: float | None) -> float:
    """A term's points for its value: null is full marks on a positive term and nothing on a negative
    one (a missing manual input scores 0); then capped at `max_points` either way."""
    if value is None:
        points = 0.0 if term.manual is not None or term.weight < 0 else term.weight
    else:
        points = term.weight * value
    if term.max_points is not None:
        points = max(-term.max_points, min(term.max_points, points))
    return points


def score(scheme: Scheme, row: Row, manual: Mapping[str, float]) -> tuple[float, list[str]]:
    total = 0.0
    missing: list[str] = []
    for term in scheme.terms:
        value = term.value(row, manual)
        if term.manual is not None and value is None:
            missing.append(term.manual)
        total += term_points(term, value)
    return total, missing


def grade(scheme: Scheme, value: float) -> str | None:
    for bound, name in scheme.grades:
        if value >= bound:
            return name
    return scheme.grade_else


def score_units(
    scheme: Scheme,
    rows: Mapping[str, Row],
    unit_class: Mapping[str, int],
    manual: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Score every unit and rank within the scheme's groups; units with due = 0 are not ranked."""
    manual = manual or {}
    results: dict[str, dict[str, Any]] = {}
    groups: dict[Any, list[tuple[float, float, str]]] = defaultdict(list)
    for unit, row in rows.items():
        value, missing = score(scheme, scheme_row(scheme, row), manual.get(unit, {}))
        result: dict[str, Any] = {"score": value}
        if scheme.grades:
            result["grade"] = grade(scheme, value)
        if missing:
            result["missing"] = missing
        result["rank"] = None
        results[unit] = result
        if row["due"]:
            group = unit_class.get(unit) if scheme.rank_within == "class" else "all"
            groups[group].append((-round(value, 9), -(row["on_time_rate"] or 0.0), unit))
    for members in groups.values():
        members.sort()
        for rank, (_, _, unit) in enumerate(members, start=1):
            results[unit]["rank"] = rank
    return results


def listing_row(scheme: Scheme, row: Row, in_trial: bool = False, judged: bool = True) -> dict[str, Any]:
    """One unit or region in a listing scheme: each indicator's value as the scheme reads it, its
    target and pass/fail where the scheme sets one (None when the value is null), and a status:
    `fail` when any target is missed, `pass` when every target is met, None when nothing can be
    judged; `trial` (试运行) instead, whatever the values, for a place in its trial months when the
    scheme honours trials; `progress` (进度) in a period the scheme does not judge (`judged` False: a
    yearly scheme's month), its values and targets shown, no pass or fail."""
    row = scheme_row(scheme, row)
    items: dict[str, dict[str, Any]] = {}
    verdicts: list[bool | None] = []
    for key in dict.fromkeys((*scheme.indicators, *scheme.targets)):
        value = row.get(key)
        item: dict[str, Any] = {"value": value}
        if key in scheme.targets:
            verdict = None if value is None or not judged else value >= scheme.targets[key]
            item.update({"target": scheme.targets[key], "pass": verdict})
            verdicts.append(verdict)
        items[key] = item
    if scheme.honours_trials and in_trial:
        status: str | None = "trial"
    elif not judged:
        status = "progress"
    elif False in verdicts:
        status = "fail"
    elif verdicts and all(verdicts):
        status = "pass"
    else:
        status = None
    return {"indicators": items, "status": status}


@dataclass(frozen=True)
class TermResult:
    label: str  # the indicator key, `a/b` for a ratio, the manual input's name, or `steps(count)`
    weight: float
    value: float | None  # as the formula read it (None: null, scored as the term's rule says)
    points: float


def term_results(scheme: Scheme, row: Row, manual: Mapping[str, float]) -> list[TermResult]:
    """Every term of a unit's score, as `score` adds them up (for reports that show the formula)."""
    out: list[TermResult] = []
    for term in scheme.terms:
        value = term.value(row, manual)
        if term.key is not None:
            label = term.key
        elif term.ratio is not None:
            label = f"{term.ratio[0]}/{term.ratio[1]}"
        elif term.manual is not None:
            label = term.manual
        else:
            label = f"steps({term.steps_on})"
        out.append(TermResult(label, term.weight, value, term_points(term, value)))
    return out
