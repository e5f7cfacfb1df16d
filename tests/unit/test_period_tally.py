"""A period's indicators and repeat alerts taken a batch at a time equal the one-pass evaluation, however
the cases are split and ordered: the counts add up and the repeats (which need the whole month) come out
the same."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.domain.exemptions import KINDS, approved
from caseflow.domain.indicators import Indicators, Period, count, indicators_of
from caseflow.domain.period_alerts import (
    RepeatGroups,
    gather_repeat_members,
    plan_repeat_alerts,
    plan_repeat_alerts_of,
)
from caseflow.domain.period_tally import KeptContributions, PeriodTally, evaluate_both
from caseflow.domain.repeats import repeat_cases
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.evaluation.periods import month_bounds
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate, region_ids, unit_ids

SHAPE = Shape(cases=900, units=9, regions=3, grids_per_region=2, seed=5)  # few grids: many repeats
START, END = month_bounds("2026-10")
PERIODS = [Period(START, END, END), Period(START, END, START + 17 * 86_400_000)]


@pytest.fixture(scope="module")
def month(rules: Rules) -> dict[int, list[CaseState]]:
    out = {}
    for period in PERIODS:
        book = CaseBook(rules)
        for seq, line in enumerate(generate(SHAPE)):
            book.add_raw(line, seq, period.as_of)
        out[period.as_of] = book.cases()
    return out


def one_pass(cases: list[CaseState], period: Period, rules: Rules, cross_month: bool) -> Indicators:
    """The oracle: the repeats found first over every case, then one count with them."""
    repeats = repeat_cases(cases, period.start, period.end, period.as_of, rules.repeat_excluded_codes)
    units, regions = [u for u, _ in unit_ids(SHAPE)], region_ids(SHAPE)
    return indicators_of(count(cases, period, repeats, units, regions, cross_month))


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 2_000), max_size=12), seed=st.integers(0, 2**16), which=st.sampled_from(PERIODS))
def test_batches_in_any_split_and_order_equal_one_pass(month: dict[int, list[CaseState]], rules: Rules,
                                                       cuts: list[int], seed: int, which: Period) -> None:
    cases = list(month[which.as_of])
    random.Random(seed).shuffle(cases)
    bounds = [0, *sorted(c % (len(cases) + 1) for c in cuts), len(cases)]
    tally = PeriodTally(which, rules, [u for u, _ in unit_ids(SHAPE)], region_ids(SHAPE), cross_month=True)
    for a, b in pairwise(bounds):
        tally.add(cases[a:b])
    indicators, crossing = tally.indicators()
    assert indicators == one_pass(cases, which, rules, False)
    assert crossing == one_pass(cases, which, rules, True)
    groups: RepeatGroups = {}
    for a, b in pairwise(bounds):
        gather_repeat_members(groups, cases[a:b], which.start, which.end, which.as_of, rules)
    alerts = plan_repeat_alerts_of(groups, which.start)
    assert alerts == plan_repeat_alerts(month[which.as_of], which.start, which.end, which.as_of, rules)


def test_the_month_has_repeats_to_find(month: dict[int, list[CaseState]], rules: Rules) -> None:
    cases, period = month[END], PERIODS[0]
    assert len(repeat_cases(cases, period.start, period.end, period.as_of, rules.repeat_excluded_codes)) > 20
    indicators, crossing = evaluate_both(cases, period, rules)
    assert sum(row["repeat"] or 0 for row in indicators.units.values()) > 20 and crossing is not None
    assert len(plan_repeat_alerts(cases, period.start, period.end, period.as_of, rules)) > 20


def test_a_period_without_cases_has_a_zero_row_for_every_configured_unit_and_region(rules: Rules) -> None:
    units, regions = [u for u, _ in unit_ids(SHAPE)], region_ids(SHAPE)
    indicators, crossing = PeriodTally(PERIODS[0], rules, units, regions, cross_month=True).indicators()
    assert indicators == one_pass([], PERIODS[0], rules, False) and crossing == one_pass([], PERIODS[0], rules, True)
    assert set(indicators.units) == set(units) and set(indicators.regions) == set(regions)
    assert indicators.units[units[0]]["dispatched"] == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), which=st.sampled_from(PERIODS), cross_month=st.booleans(),
       exempt=st.integers(0, 40))
def test_cases_added_by_their_contributions_equal_cases_added_whole(
        month: dict[int, list[CaseState]], rules: Rules, seed: int, which: Period, cross_month: bool,
        exempt: int) -> None:
    """Live scoring keeps each case's contribution while the case does not change: a batch added whole
    plus the kept contributions of the rest (kept after putting every case, some twice, and dropping the
    batch's), in any order, with exemptions, gives the numbers of adding every case whole."""
    rng = random.Random(seed)
    cases = list(month[which.as_of])
    rng.shuffle(cases)
    assigned = [(c.case_id, a.unit, a.dispatched_at) for c in cases for a in c.assignments]
    exemptions = approved([(*rng.choice(assigned), rng.choice(KINDS)) for _ in range(exempt)])
    units, regions = [u for u, _ in unit_ids(SHAPE)], region_ids(SHAPE)

    def fresh() -> PeriodTally:
        return PeriodTally(which, rules, units, regions, cross_month, exemptions)

    whole, by_parts = fresh(), fresh()
    whole.add(cases)
    cut = rng.randrange(len(cases))
    by_parts.add(cases[:cut])
    kept = KeptContributions()
    for case in cases + rng.sample(cases, len(cases) // 3):
        kept.put(case.case_id, by_parts.contribution(case))
    for case in cases[:cut]:
        kept.drop(case.case_id)
    by_parts.add_kept(kept)
    assert by_parts.indicators() == whole.indicators()
