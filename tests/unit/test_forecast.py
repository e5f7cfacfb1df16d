"""Overdue risk (#35), the pure model: survival over the limit's own time, groups shrunk toward wider ones,
and the facts shown beside each number."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.forecast.model import EDGES, MINUTE, fit, hazards_for, late_chance
from caseflow.forecast.quality import brier, light_rates, reliability, skill, unit_rates
from caseflow.forecast.risk import Risk
from caseflow.forecast.samples import Kind, Sample
from caseflow.forecast.warnings import plan_risk_warnings

KIND = Kind("event", "01", "02", "normal")
OTHER = Kind("component", "03", "01", "normal")
HOUR = 60 * MINUTE


def sample(unit: str, used_min: float, disposed: bool = True, allowance_min: float = 250, kind: Kind = KIND,
           n: int = 0) -> Sample:
    return Sample(f"C-{unit}-{n}", 1, unit, kind, "working", round(used_min * MINUTE), round(allowance_min * MINUTE),
                  disposed)


def test_with_every_outcome_known_the_chance_at_dispatch_is_the_share_that_was_late() -> None:
    rng = random.Random(3)
    durations = [rng.expovariate(1 / 200) for _ in range(2000)]
    history = [sample("U-1", d, n=i) for i, d in enumerate(durations)]
    model = fit(history, {"U-1": 1})
    hazards, _ = hazards_for(model, "U-1", KIND, "working")
    allowance = EDGES[9]  # 300 minutes, on a step's edge: no part-step
    observed = sum(d * MINUTE >= allowance for d in durations) / len(durations)
    assert late_chance(hazards, 0, allowance) == pytest.approx(observed, abs=1e-9)


def test_a_slow_unit_is_riskier_than_a_fast_one_at_the_same_point() -> None:
    rng = random.Random(5)
    history = [sample("FAST", rng.expovariate(1 / 60), n=i) for i in range(400)]
    history += [sample("SLOW", rng.expovariate(1 / 600), n=i) for i in range(400)]
    model = fit(history, {"FAST": 1, "SLOW": 1})
    fast = late_chance(hazards_for(model, "FAST", KIND, "working")[0], 60 * MINUTE, 250 * MINUTE)
    slow = late_chance(hazards_for(model, "SLOW", KIND, "working")[0], 60 * MINUTE, 250 * MINUTE)
    assert fast < 0.2 < 0.5 < slow


def test_a_unit_with_little_history_leans_on_its_peers_and_the_city() -> None:
    rng = random.Random(7)
    peers = [sample(f"P-{i % 5}", rng.expovariate(1 / 600), n=i) for i in range(1000)]
    new = [sample("NEW", 10, n=i) for i in range(2)]  # two quick disposals say little
    model = fit([*peers, *new], {**{f"P-{i}": 2 for i in range(5)}, "NEW": 2})
    peer = late_chance(hazards_for(model, "P-0", KIND, "working")[0], 30 * MINUTE, 250 * MINUTE)
    newcomer, level = hazards_for(model, "NEW", KIND, "working")
    assert level == "minor"  # it has its own group, shrunk toward the ones above
    assert late_chance(newcomer, 30 * MINUTE, 250 * MINUTE) == pytest.approx(peer, abs=0.12)
    unknown, level = hazards_for(model, "NEVER-SEEN", OTHER, "working")
    assert level == "city" and late_chance(unknown, 30 * MINUTE, 250 * MINUTE) > 0.3


def test_open_assignments_are_counted_while_they_are_open_not_as_disposed() -> None:
    rng = random.Random(9)
    done = [sample("U", rng.expovariate(1 / 120), n=i) for i in range(500)]
    still_open = [sample("U", 200, disposed=False, n=1000 + i) for i in range(500)]  # waiting, at 200 min
    closed_only = late_chance(hazards_for(fit(done, {}), "U", KIND, "working")[0], 0, 250 * MINUTE)
    with_open = late_chance(hazards_for(fit([*done, *still_open], {}), "U", KIND, "working")[0], 0, 250 * MINUTE)
    assert with_open > closed_only + 0.2  # half the unit's cases still open at 200 minutes: a slow unit


def test_past_its_deadline_it_is_late_for_certain() -> None:
    model = fit([sample("U", 10, n=i) for i in range(10)], {})
    assert late_chance(hazards_for(model, "U", KIND, "working")[0], 300 * MINUTE, 250 * MINUTE) == 1.0


def test_the_record_behind_a_number() -> None:
    history = [sample("U", m, n=i) for i, m in enumerate((20, 100, 150, 260, 300, 400))]
    history.append(sample("U", 500, disposed=False, n=99))  # open past 250: known late
    history.append(sample("U", 120, disposed=False, n=98))  # open at 120: not known yet
    model = fit(history, {})
    seen, late = model.counts[("working",)].record(90 * MINUTE, 250 * MINUTE)
    assert (seen, late) == (6, 4)  # 100, 150, 260, 300, 400 disposed and 500 open; 260, 300, 400, 500 late


@given(st.lists(st.tuples(st.floats(0, 20000), st.booleans(), st.sampled_from(["A", "B", "C"])), max_size=60),
       st.floats(0, 20000), st.floats(1, 20000))
def test_a_chance_is_a_probability_whatever_the_history(history: list[tuple[float, bool, str]], used: float,
                                                       allowance: float) -> None:
    model = fit([sample(u, m, d, n=i) for i, (m, d, u) in enumerate(history)], {"A": 1, "B": 1})
    hazards, _ = hazards_for(model, "A", KIND, "working")
    p = late_chance(hazards, round(used * MINUTE), round(allowance * MINUTE))
    assert 0.0 <= p <= 1.0
    if used >= allowance:
        assert p == 1.0


def test_quality_measures_and_baselines() -> None:
    assert brier([1.0, 0.0], [True, False]) == 0.0 and brier([0.5, 0.5], [True, False]) == 0.25
    assert skill(0.15, 0.2) == pytest.approx(0.25)
    table = reliability([0.05, 0.07, 0.95], [False, True, True])
    assert [(d.cases, round(d.predicted, 2), d.observed) for d in table] == [(2, 0.06, 0.5), (1, 0.95, 1.0)]
    history = [sample("U", 100, n=1), sample("U", 300, n=2), sample("V", 260, disposed=False, n=3),
               sample("V", 10, disposed=False, n=4)]  # V's second: open, not known yet
    by_unit, city = unit_rates(history)
    assert by_unit == {"U": 0.5, "V": 1.0} and city == pytest.approx(2 / 3)
    assert light_rates(history, 0.8) == (pytest.approx(2 / 3), 1.0)  # yellow: 300 and 260 reached 200


def risk(p: float, share: float, suspended: bool = False, seq: int = 1, cycle: int = 1000) -> Risk:
    return Risk("C-1", seq, "U-1", cycle, 1000, 9000, share, suspended, p, "unit", 20, 10, 200, 40)


def test_the_pre_warning_goes_before_the_ordinary_one_once_per_cycle() -> None:
    planned = plan_risk_warnings([risk(0.7, 0.3), risk(0.7, 0.85), risk(0.4, 0.3), risk(0.9, 0.2, suspended=True),
                                  risk(0.6, 0.1, seq=2)], 0.6, 0.8, 5000)
    assert [(a.assignment, a.reason, a.level, a.at) for a in planned] == [(1, "overdue_risk", 0, 5000),
                                                                         (2, "overdue_risk", 0, 5000)]
    assert planned[0].detail.startswith("超期风险 70%：已用时限 30%")
    again = plan_risk_warnings([risk(0.8, 0.4)], 0.6, 0.8, 7000)  # later, riskier: the same alert
    assert again[0].alert_id == planned[0].alert_id
    reworked = plan_risk_warnings([risk(0.8, 0.4, cycle=6000)], 0.6, 0.8, 7000)  # a new cycle may warn again
    assert reworked[0].alert_id != planned[0].alert_id
