"""A period's indicators over its cases taken a batch at a time (rules §4-§6). The counts add up batch by
batch; the repeat cases (§6) need every case of the period, so each batch leaves only a small candidate
per filed event and the repeats are counted at the end. Memory is one batch plus the candidates, whatever
the size of the month: live scoring answers a province's month the way replay's buckets fold it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Indicators, Period, count, indicators_of, merged, repeat_units
from caseflow.domain.repeats import RepeatKey, repeat_candidates, repeats_among
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState


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
