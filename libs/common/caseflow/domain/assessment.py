"""Assessment templates and their scoring (docs/rules.md §10): a tree of sections and items, each item
scored one way — automatically from an indicator, by deductions for findings, by a grade an assessor
enters, or as a bonus (附加分) declared, verified and approved. Pure: the caller gives the indicators
and the approved records; nothing here reads a clock or storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCORINGS = ("automatic", "deductions", "manual", "bonus")
DEDUCTION_KINDS = ("fixed", "per_occurrence", "judgement", "zero")
THRESHOLD_MODES = ("all_or_nothing", "proportional", "times_rate")
SCHEME_PREFIX = "scheme:"  # a rule on a scheme's score (a share of its full marks)
TEMPLATE_PREFIX = "template:"  # a rule on another template's total, as a share of its full marks
PERIOD_KINDS = ("day", "month", "quarter", "year")


def period_kind(name: str) -> str:
    """day (2026-10-08), month (2026-10), quarter (2026-Q4) or year (2026): which templates apply."""
    return "day" if name.count("-") == 2 else "quarter" if "Q" in name else "month" if "-" in name else "year"


@dataclass(frozen=True)
class Threshold:
    """An automatic item's rule: `indicator >= at_least` earns the item's points; below it, nothing
    (all_or_nothing) or the share value / at_least of them (proportional). `times_rate`: the item's points
    times the rate (60 x 按期结案率), whatever it is."""
    indicator: str
    at_least: float
    mode: str = "all_or_nothing"
    out_of: float = 100.0  # `points x scheme <id>`: the scheme's full marks (bound when schemes are loaded)


@dataclass(frozen=True)
class Deduction:
    """One way an item loses points. fixed: `points` once per finding; per_occurrence: `points` for
    each occurrence a finding counts; judgement: what the assessor decides, up to `points` (酌情扣分);
    zero: the item scores 0 (本项不得分)."""
    id: str
    label: str
    kind: str
    points: float = 0.0


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    points: float  # the item's maximum (a bonus item: its cap)
    scoring: str
    requirement: str = ""  # 考核要求, as the published rules word it
    threshold: Threshold | None = None
    deductions: tuple[Deduction, ...] = ()
    may_go_negative: bool = False
    note: str = ""  # where the template reads the published rules loosely ([inferred]) or leaves a choice


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    items: tuple[Item, ...]
    points: float | None = None  # declared total, checked against the items when `must_add_up`
    must_add_up: bool = False


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    assessed: str  # units | regions | both
    periods: tuple[str, ...]
    sections: tuple[Section, ...]
    bonus_cap: float | None = None  # all bonus items together
    source: str = ""  # the published rules it follows
    rank_within: str = "all"  # all | class (units ranked within their class; regions among themselves)

    def items(self) -> dict[str, Item]:
        return {item.id: item for section in self.sections for item in section.items}

    def applies_to(self, period: str) -> bool:
        return period_kind(period) in self.periods

    def full_marks(self) -> float:
        """The points of every item but the bonus ones (what a total is a share of)."""
        return sum(i.points for s in self.sections for i in s.items if i.scoring != "bonus")

    def templates_scored(self) -> set[str]:
        """The templates whose totals an item of this one scores (`points x template <id>`)."""
        return {i.threshold.indicator[len(TEMPLATE_PREFIX):] for i in self.items().values()
                if i.threshold is not None and i.threshold.indicator.startswith(TEMPLATE_PREFIX)}


@dataclass(frozen=True)
class Finding:
    """An approved deduction: which item and deduction, how often (per_occurrence), how much
    (judgement), and the record it comes from (for the evidence)."""
    item: str
    deduction: str
    occurrences: int = 1
    points: float | None = None
    record: str = ""


@dataclass(frozen=True)
class Entry:
    """An approved grade (manual item) or bonus (bonus item): points and the record they come from."""
    item: str
    points: float
    record: str = ""


@dataclass(frozen=True)
class ItemScore:
    points: float
    maximum: float
    taken: tuple[tuple[str, float], ...] = ()  # (record, points taken or given) in record order
    zeroed_by: str = ""
    graded: bool = True  # a manual item nobody graded yet scores 0 and says so


@dataclass(frozen=True)
class Scored:
    total: float
    sections: dict[str, float]
    items: dict[str, ItemScore] = field(default_factory=dict)
    bonus: float = 0.0


def _bounded(points: float, item: Item) -> float:
    top = min(points, item.points)
    return top if item.may_go_negative else max(0.0, top)


def automatic_points(item: Item, value: float | None) -> float:
    """A rate that is null (nothing to measure: no reports, nothing due) scores as the schemes score it
    (rules §7): full points, as a rule on a rate is a positive term (the higher, the better)."""
    rule = item.threshold
    if rule is None:
        return 0.0
    if value is None:
        return item.points
    if rule.mode == "times_rate":
        return item.points * min(1.0, max(0.0, value))
    if value >= rule.at_least:
        return item.points
    if rule.mode == "proportional" and rule.at_least > 0:
        return item.points * max(0.0, value) / rule.at_least
    return 0.0


def _value_of(rule: Threshold, row: Mapping[str, Any]) -> Any:
    """The indicator a rule reads, a scheme's score as a share of its full marks (`points x scheme <id>`), or another
    template's total as a share of its full marks (`points x template <id>`, under the row's `templates`)."""
    if rule.indicator.startswith(TEMPLATE_PREFIX):
        return (row.get("templates") or {}).get(rule.indicator[len(TEMPLATE_PREFIX):])
    if not rule.indicator.startswith(SCHEME_PREFIX):
        return row.get(rule.indicator)
    found = (row.get("scores") or {}).get(rule.indicator[len(SCHEME_PREFIX):])
    return None if not found or found.get("score") is None else float(found["score"]) / (rule.out_of or 100.0)


def deducted(item: Item, findings: Sequence[Finding]) -> ItemScore:
    kinds = {d.id: d for d in item.deductions}
    points, taken = item.points, list[tuple[str, float]]()
    for f in findings:
        rule = kinds[f.deduction]
        if rule.kind == "zero":
            return ItemScore(0.0, item.points, (*taken, (f.record, points)), zeroed_by=f.record)
        if rule.kind == "fixed":
            amount = rule.points
        elif rule.kind == "per_occurrence":
            amount = rule.points * max(0, f.occurrences)
        else:  # judgement: the assessor's figure, within what the deduction allows
            amount = min(max(0.0, f.points or 0.0), rule.points or item.points)
        points -= amount
        taken.append((f.record, amount))
    return ItemScore(_bounded(points, item), item.points, tuple(taken))


def score(template: Template, indicators: Mapping[str, Any], findings: Sequence[Finding],
          grades: Sequence[Entry], bonuses: Sequence[Entry]) -> Scored:
    """One unit's or region's score for a period from its indicator row and its approved records."""
    items: dict[str, ItemScore] = {}
    sections: dict[str, float] = {}
    bonus_total = 0.0
    for section in template.sections:
        subtotal = 0.0
        for item in section.items:
            if item.scoring == "automatic":
                value = _value_of(item.threshold, indicators) if item.threshold else None
                got = ItemScore(automatic_points(item, None if value is None else float(value)), item.points)
            elif item.scoring == "deductions":
                got = deducted(item, [f for f in findings if f.item == item.id])
            elif item.scoring == "manual":
                mine = [g for g in grades if g.item == item.id]
                latest = mine[-1] if mine else None
                got = ItemScore(_bounded(latest.points, item) if latest else 0.0, item.points,
                                ((latest.record, latest.points),) if latest else (), graded=latest is not None)
            else:
                mine = [b for b in bonuses if b.item == item.id]
                got = ItemScore(min(item.points, sum(max(0.0, b.points) for b in mine)), item.points,
                                tuple((b.record, b.points) for b in mine))
                bonus_total += got.points
            items[item.id] = got
            subtotal += got.points if item.scoring != "bonus" else 0.0
        sections[section.id] = subtotal
    if template.bonus_cap is not None:
        bonus_total = min(bonus_total, template.bonus_cap)
    return Scored(sum(sections.values()) + bonus_total, sections, items, bonus_total)
