"""Use case: a period's indicators over the live case states, a batch at a time. Each case's contribution
(domain.period_tally.Contribution) is kept while its decoded state is the same: a month changes a few
cases at a time, so a read recounts only the cases that changed since the last (issue #36: the period
API answers within a second while the services catch up on a city's month)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import Protocol

from caseflow.config.units import Directory
from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Indicators, Period
from caseflow.domain.period_tally import KeptContributions, PeriodTally
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.domain.state import CaseState
from caseflow.evaluation.evaluate import wants_cross_month


class Contributions:
    """Kept contributions by tally (its period and as-of, cross-month setting and repeat rule). A case's
    contribution is used only while its decoded state is the very object it was counted from (the
    decoded-state cache hands out a new one for every new version); a pass drops the cases it did not
    meet, so a case is kept as long as it is in the period. A few tallies are kept; one pass at a time
    changes a tally (an asyncio lock, so a cancelled read leaves it whole: each case is replaced at once)."""

    def __init__(self, tallies: int = 6) -> None:
        self.tallies = tallies
        self.kept: OrderedDict[Hashable, _Kept] = OrderedDict()

    def of(self, key: Hashable) -> _Kept:
        key = (asyncio.get_running_loop(), key)  # its lock belongs to one event loop
        kept = self.kept.get(key)
        if kept is None:
            kept = self.kept[key] = _Kept()
            while len(self.kept) > self.tallies:
                self.kept.popitem(last=False)
        self.kept.move_to_end(key)
        return kept


KEPT_CASES = 200_000  # as many as the decoded states kept (decoded_states.DecodedStates)


class _Kept:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.counted_from: dict[str, CaseState] = {}
        self.sums = KeptContributions()
        self.counted = 0  # cases counted by the last pass (the others were kept)

    def begin(self) -> set[str]:
        self.counted = 0
        return set()

    def add(self, tally: PeriodTally, cases: Sequence[CaseState], met: set[str]) -> None:
        if len(met) >= KEPT_CASES:  # a province's year: the rest is counted, not kept (memory)
            tally.add(cases)
            return
        for case in cases:
            met.add(case.case_id)
            if self.counted_from.get(case.case_id) is not case:
                self.sums.put(case.case_id, tally.contribution(case))
                self.counted_from[case.case_id] = case
                self.counted += 1

    def end(self, tally: PeriodTally, met: set[str]) -> None:
        # a case not met left the period, or was counted whole (after KEPT_CASES)
        for case_id in [c for c in self.counted_from if c not in met]:
            self.sums.drop(case_id)
            del self.counted_from[case_id]
        tally.add_kept(self.sums)


CONTRIBUTIONS = Contributions()


class CaseBatches(Protocol):
    def case_batches(self, period: Period, fresh: bool = False) -> AsyncIterator[list[CaseState]]: ...


async def tallied(cases: CaseBatches, period: Period, rules: Rules, directory: Directory,
                  schemes: Mapping[str, Scheme], fresh: bool = False, contributions: Contributions = CONTRIBUTIONS,
                  exemptions: Exemptions = NONE) -> tuple[Indicators, Indicators | None]:
    """The period's indicators (and cross-month ones if a scheme asks) over its cases. The counting runs
    off the event loop so that the consumer keeps taking snapshots meanwhile.
    `fresh` (audits, closing) decodes and counts every case anew, and so does a read as of an instant
    before the period's end; `exemptions`: the approved ones (§4a)."""
    cross_month = wants_cross_month(schemes)
    tally = PeriodTally(period, rules, directory.units, directory.regions, cross_month, exemptions)
    if fresh or period.as_of != period.end:
        # Kept parts hold for one as-of: the period API's live read is as of the period's end, always the
        # same; the standing indicators' "as of now" moves every time (its parts would never be met again).
        async for batch in cases.case_batches(period, fresh):
            await asyncio.to_thread(tally.add, batch)
        return await asyncio.to_thread(tally.indicators)
    # what a contribution depends on besides the case (the directory only adds zero rows)
    kept = contributions.of((period, cross_month, rules.repeat_excluded_codes, frozenset(exemptions.kinds.items())))
    async with kept.lock:
        met = kept.begin()
        async for batch in cases.case_batches(period, False):
            await asyncio.to_thread(kept.add, tally, batch, met)
        await asyncio.to_thread(kept.end, tally, met)
    return await asyncio.to_thread(tally.indicators)
