"""A period's indicators over its cases taken a batch at a time (rules §4-§6). The counts add up batch by
batch; the repeat cases (§6) need every case of the period, so each batch leaves only a small candidate
per filed event and the repeats are counted at the end. Memory is one batch plus the candidates, whatever
the size of the month: live scoring answers a province's month the way replay's buckets fold it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicator_keys import UNIT_COUNTS
from caseflow.domain.indicators import Indicators, Period, count, indicators_of, merged, repeat_units
from caseflow.domain.repeats import RepeatKey, repeat_candidates, repeats_among
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.domain.tally import zero_region

Rows = tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # (unit or region, its non-zero counts)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One case's part of a tally: its rows (every row it touches, with its non-zero counts), its
    cross-month rows and its repeat candidate. It depends only on the case's state and the tally's period,
    as-of, cross-month setting and exemptions: whoever keeps it by case adds an unchanged case again
    without counting it again (live scoring, while a month's cases change a few at a time)."""

    units: Rows
    regions: Rows
    crossing_units: Rows
    crossing_regions: Rows
    candidate: tuple[RepeatKey, int, tuple[str, ...]] | None


def _rows(table: dict[str, dict[str, int]]) -> Rows:
    return tuple((key, tuple((name, n) for name, n in counts.items() if n)) for key, counts in table.items())


Table = dict[str, tuple[int, dict[str, int]]]  # row -> (how many kept cases touch it, their counts' sum)


def _change(table: Table, rows: Rows, sign: int) -> None:
    for key, counts in rows:
        touching, total = table.get(key, (0, {}))
        for name, n in counts:
            total[name] = total.get(name, 0) + sign * n
        if touching + sign:
            table[key] = (touching + sign, total)
        else:
            del table[key]


class KeptContributions:
    """Cases' contributions to one tally and their sum, changed a case at a time: a live month whose
    cases change a few at a time between reads is recounted for those only (scoring's tallying)."""

    def __init__(self) -> None:
        self.parts: dict[str, Contribution] = {}
        self.units: Table = {}
        self.regions: Table = {}
        self.crossing_units: Table = {}
        self.crossing_regions: Table = {}
        self.candidates: dict[str, tuple[RepeatKey, int, tuple[str, ...]]] = {}

    def put(self, case_id: str, part: Contribution) -> None:
        self.drop(case_id)
        self.parts[case_id] = part
        self._apply(part, 1)
        if part.candidate is not None:
            self.candidates[case_id] = part.candidate

    def drop(self, case_id: str) -> None:
        part = self.parts.pop(case_id, None)
        if part is not None:
            self._apply(part, -1)
            self.candidates.pop(case_id, None)

    def _apply(self, part: Contribution, sign: int) -> None:
        _change(self.units, part.units, sign)
        _change(self.regions, part.regions, sign)
        _change(self.crossing_units, part.crossing_units, sign)
        _change(self.crossing_regions, part.crossing_regions, sign)


def _zero_unit() -> dict[str, int]:
    return dict.fromkeys(UNIT_COUNTS, 0)


class PeriodTally:
    def __init__(self, period: Period, rules: Rules, unit_ids: Iterable[str] = (), region_ids: Iterable[str] = (),
                 cross_month: bool = False, exemptions: Exemptions = NONE) -> None:
        self.period, self.rules, self.exemptions = period, rules, exemptions
        self.unit_ids, self.region_ids = tuple(unit_ids), tuple(region_ids)
        # every configured unit and region has a row, with or without cases (as one `count` gives)
        self.counts = count((), period, (), self.unit_ids, self.region_ids)
        self.crossing = count((), period, (), self.unit_ids, self.region_ids, True) if cross_month else None
        # repeat key -> (reported_at, case id, the units its repeat would count for); keys and unit tuples
        # are shared between candidates so that a candidate costs little more than its case id.
        self.candidates: dict[RepeatKey, list[tuple[int, str, tuple[str, ...]]]] = {}
        self._units_seen: dict[tuple[str, ...], tuple[str, ...]] = {}

    def add(self, cases: Sequence[CaseState]) -> None:
        p = self.period
        self.counts = merged([self.counts, count(cases, p, (), self.unit_ids, self.region_ids,
                                                 exemptions=self.exemptions)])
        if self.crossing is not None:
            self.crossing = merged([self.crossing, count(cases, p, (), self.unit_ids, self.region_ids, True,
                                                         self.exemptions)])
        found = repeat_candidates(cases, p.start, p.end, p.as_of, self.rules.repeat_excluded_codes)
        if not found:
            return
        by_id = {case.case_id: case for case in cases}
        for key, reported_at, case_id in found:
            units = repeat_units(by_id[case_id], p, self.exemptions)
            units = self._units_seen.setdefault(units, units)
            self.candidates.setdefault(key, []).append((reported_at, case_id, units))

    def contribution(self, case: CaseState) -> Contribution:
        """`case`'s part of this tally; `add_contributions` of every case's equals `add` of the cases."""
        p, one = self.period, (case,)
        counts = count(one, p, (), exemptions=self.exemptions)
        crossing = count(one, p, (), (), (), True, self.exemptions) if self.crossing is not None else None
        found = repeat_candidates(one, p.start, p.end, p.as_of, self.rules.repeat_excluded_codes)
        candidate = (found[0][0], found[0][1], repeat_units(case, p, self.exemptions)) if found else None
        return Contribution(_rows(counts.units), _rows(counts.regions),
                            _rows(crossing.units) if crossing is not None else (),
                            _rows(crossing.regions) if crossing is not None else (), candidate)

    def add_kept(self, kept: KeptContributions) -> None:
        """Add the cases whose contributions `kept` holds (each from this tally's `contribution`)."""
        tables = [(self.counts.units, kept.units, _zero_unit), (self.counts.regions, kept.regions, zero_region)]
        if self.crossing is not None:
            tables += [(self.crossing.units, kept.crossing_units, _zero_unit),
                       (self.crossing.regions, kept.crossing_regions, zero_region)]
        for into, totals, zero in tables:
            for key, (_, counts) in totals.items():
                total = into.get(key)
                if total is None:
                    total = into[key] = zero()
                for name, n in counts.items():
                    total[name] += n
        for case_id, (repeat_key, reported_at, units) in kept.candidates.items():
            units = self._units_seen.setdefault(units, units)
            self.candidates.setdefault(repeat_key, []).append((reported_at, case_id, units))

    def indicators(self) -> tuple[Indicators, Indicators | None]:
        """The indicators and, if asked for, the cross-month ones, of every case added so far."""
        units_of = {case_id: units for members in self.candidates.values() for _, case_id, units in members}
        found = repeats_among((key, at, case_id) for key, members in self.candidates.items()
                              for at, case_id, _ in members)
        counts = merged([self.counts])
        crossing = merged([self.crossing]) if self.crossing is not None else None
        for case_id in found:
            for unit in units_of[case_id]:
                counts.units[unit]["repeat"] += 1
                if crossing is not None:
                    crossing.units[unit]["repeat"] += 1
        return indicators_of(counts), indicators_of(crossing) if crossing is not None else None


def evaluate(cases: Sequence[CaseState], period: Period, rules: Rules, unit_ids: Iterable[str] = (),
             region_ids: Iterable[str] = (), exemptions: Exemptions = NONE) -> Indicators:
    return evaluate_both(cases, period, rules, unit_ids, region_ids, cross_month=False, exemptions=exemptions)[0]


def evaluate_both(cases: Sequence[CaseState], period: Period, rules: Rules, unit_ids: Iterable[str] = (),
                  region_ids: Iterable[str] = (), cross_month: bool = True,
                  exemptions: Exemptions = NONE) -> tuple[Indicators, Indicators | None]:
    """The indicators and, with `cross_month`, the counts under county-interim 第十一条 (domain.cross_month)."""
    tally = PeriodTally(period, rules, unit_ids, region_ids, cross_month, exemptions)
    tally.add(cases)
    return tally.indicators()
