"""Live scoring keeps each case's contribution to a period while the case's decoded state is unchanged:
a second read recounts only the cases that changed, and its numbers are those of counting every case."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence

import pytest

from caseflow.domain.indicators import Period
from caseflow.domain.period_tally import PeriodTally
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.evaluation.periods import month_bounds
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate
from caseflow_scoring import tallying
from caseflow_scoring.tallying import Contributions

SHAPE = Shape(cases=600, units=7, regions=3, grids_per_region=2, seed=11)
START, END = month_bounds("2026-10")
PERIOD = Period(START, END, END)


def states_as_of(rules: Rules, as_of: int) -> dict[str, CaseState]:
    book = CaseBook(rules)
    for seq, line in enumerate(generate(SHAPE)):
        book.add_raw(line, seq, as_of)
    return {case.case_id: case for case in book.cases()}


def whole(rules: Rules, cases: Sequence[CaseState]) -> object:
    tally = PeriodTally(PERIOD, rules, cross_month=True)
    tally.add(list(cases))
    return tally.indicators()


class Reads:
    """`tallied` over a list of states standing in for the database's cursor (100 a batch)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, rules: Rules) -> None:
        self.rules, self.kept, self.cases = rules, Contributions(), list[CaseState]()
        self.loop = asyncio.new_event_loop()  # one service, one loop (a tally's lock is the loop's)

        monkeypatch.setattr(tallying, "wants_cross_month", lambda schemes: True)

    async def case_batches(self, period: Period, fresh: bool = False) -> AsyncIterator[list[CaseState]]:
        """The CaseBatches port over a list (100 a batch), standing in for the database's cursor."""
        for at in range(0, len(self.cases), 100):
            yield self.cases[at:at + 100]

    def read(self, cases: Sequence[CaseState]) -> tuple[object, int]:
        self.cases = list(cases)
        directory = type("D", (), {"units": {}, "regions": {}})()
        numbers = self.loop.run_until_complete(tallying.tallied(
            self, PERIOD, self.rules, directory, {}, contributions=self.kept))  # type: ignore[arg-type]
        return numbers, next(iter(self.kept.kept.values())).counted


def test_a_second_read_counts_only_the_changed_cases_and_equals_counting_all(
        monkeypatch: pytest.MonkeyPatch, rules: Rules) -> None:
    earlier = states_as_of(rules, START + 12 * 86_400_000)
    later = states_as_of(rules, END)
    reads = Reads(monkeypatch, rules)
    first = list(earlier.values())
    numbers, counted = reads.read(first)
    assert counted == len(first) and numbers == whole(rules, first)

    changed = random.Random(3).sample(sorted(earlier), 40)
    second = [later[c.case_id] if c.case_id in changed else c for c in first]
    second += [case for case_id, case in later.items() if case_id not in earlier]  # cases reported since
    random.Random(4).shuffle(second)
    numbers, counted = reads.read(second)
    assert counted == 40 + len(later) - len(earlier)
    assert numbers == whole(rules, second) and numbers != whole(rules, first)

    gone = second[:50]  # cases that left the period (or the cursor no longer returns)
    numbers, counted = reads.read(second[50:])
    assert counted == 0 and numbers == whole(rules, second[50:])
    numbers, counted = reads.read(second)
    assert counted == len(gone) and numbers == whole(rules, second)
    reads.loop.close()


def test_past_the_kept_limit_the_rest_is_counted_whole(monkeypatch: pytest.MonkeyPatch, rules: Rules) -> None:
    cases = list(states_as_of(rules, END).values())
    reads = Reads(monkeypatch, rules)
    monkeypatch.setattr(tallying, "KEPT_CASES", 250)
    for _ in range(2):
        numbers, counted = reads.read(cases)
        assert numbers == whole(rules, cases)
    reads.loop.close()
    assert counted == 0  # the first 300 (whole batches) kept, the rest counted whole each time
