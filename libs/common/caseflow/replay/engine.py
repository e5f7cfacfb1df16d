"""Fold an event stream into case states, then evaluate indicators and schemes for one period."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from caseflow.config.units import Directory
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.caselog import CaseLog, record, record_all
from caseflow.domain.events import CaseEvent
from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Indicators, Period
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.domain.state import CaseState
from caseflow.evaluation.document import Assessed
from caseflow.evaluation.evaluate import Listings, Numbers, Scores, evaluate_period
from caseflow.evaluation.fed_terms import with_fed_terms

_EMPTY = CaseLog()


@dataclass
class CaseBook:
    """Case logs by case_id, with global event_id dedup; the in-memory twin of dispatch's tables.

    By default every event id is kept, so a duplicate is caught wherever it appears. A replay of a big
    file uses `lean=True`: each case keeps its own ids in one string, and only a 64-bit hash of every id
    is kept beside (8 bytes instead of ~100). A lean book cannot see an id reused by another case, so
    whoever fills one must call `repeated_hashes` afterwards and, if it finds any, fill a new book with
    them as `suspects`: ids with those hashes are then checked against every case, exactly.
    Either kind keeps the hashes, so books that each hold a part of the cases (a replay's buckets) can
    be checked together for an id applied in two of them.
    """

    rules: Rules
    lean: bool = False
    suspects: frozenset[int] = frozenset()
    logs: dict[str, CaseLog] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)  # every id (not lean), or the suspects met so far
    case_ids: dict[str, str] = field(default_factory=dict)  # lean: "\0id\0id\0" per case
    id_hashes: array[int] = field(default_factory=lambda: array("q"))  # hash of every applied id
    invalid: list[tuple[int, Invalid]] = field(default_factory=list)
    duplicates: int = 0

    def add_raw(self, raw: bytes | str, seq: int, as_of: int | None = None) -> None:
        self.add(parse(raw, seq), seq, as_of)

    def add(self, event: CaseEvent | Invalid, seq: int, as_of: int | None = None) -> None:
        if isinstance(event, Invalid):
            self.invalid.append((seq, event))
            return
        if as_of is not None and event.at > as_of:
            return
        if self._known(event.event_id, event.case_id):
            self.duplicates += 1
            return
        logs = self.logs
        log = logs.get(event.case_id)
        logs[event.case_id] = record(_EMPTY if log is None else log, event, self.rules)[0]

    def add_case(self, events: list[CaseEvent], as_of: int | None = None) -> None:
        """One case's events (a non-empty list), in arrival order: what `add` does with each, except that
        their ids are checked only against each other, not against other cases' (nor kept in `seen`).
        For a book that is filled case by case: whoever does so must check `repeated_hashes` over the
        `id_hashes` for an id applied in two cases, as the bucketed replay does."""
        hashes, ids, fresh = self.id_hashes, set(), []
        for event in events:
            if as_of is not None and event.at > as_of:
                continue
            if event.event_id in ids:
                self.duplicates += 1
                continue
            ids.add(event.event_id)
            hashes.append(hash(event.event_id))
            fresh.append(event)
        if fresh:
            self.logs[events[0].case_id] = record_all(_EMPTY, fresh, self.rules)

    def _known(self, event_id: str, case_id: str) -> bool:
        """Whether the id was applied before; if not, it is remembered as applied now."""
        seen = self.seen
        if not self.lean:
            if event_id in seen:
                return True
            seen.add(event_id)
            self.id_hashes.append(hash(event_id))
            return False
        digest = hash(event_id)
        if digest in self.suspects:
            if event_id in seen:
                return True
            seen.add(event_id)
        else:
            # Identifiers cannot contain control characters (contract v1), so NUL separates them.
            ids = self.case_ids.get(case_id)
            if ids is None:
                self.case_ids[case_id] = f"\0{event_id}\0"
            elif f"\0{event_id}\0" in ids:
                return True
            else:
                self.case_ids[case_id] = f"{ids}{event_id}\0"
        self.id_hashes.append(digest)
        return False

    def cases(self) -> list[CaseState]:
        return [log.state for log in self.logs.values() if log.state is not None]

    def rejections(self, as_of: int) -> list[Rejection]:
        found = [r for log in self.logs.values() for r in log.all_rejected if r.at <= as_of]
        return sorted(found, key=lambda r: (r.at, r.event_id))


def repeated_hashes(hash_arrays: Iterable[bytes | array[int]]) -> frozenset[int]:
    """Hashes that occur more than once across lean books' `id_hashes`: ids applied in two cases (or,
    rarely, two ids with one hash; checking those exactly costs nothing but time)."""
    every = np.concatenate([np.frombuffer(h, dtype=np.int64) for h in hash_arrays] or [np.empty(0, np.int64)])
    every.sort(kind="stable")  # sorted runs (as workers send them) merge in linear time
    return frozenset(every[1:][every[1:] == every[:-1]].tolist())


@dataclass(frozen=True)
class ReplayResult:
    period: Period
    indicators: Indicators
    scores: Scores
    listings: Listings
    rejected: list[Rejection]
    invalid: list[tuple[int, Invalid]]


def with_fed_scores(result: ReplayResult, schemes: Mapping[str, Scheme], directory: Directory,
                    manual: Mapping[str, Mapping[str, float]] | None, assessed: Assessed | None) -> ReplayResult:
    """The result with the schemes whose manual terms a template feeds scored again from the templates'
    records in `assessed` (evaluation.fed_terms), as live scoring scores them."""
    numbers = with_fed_terms(Numbers(result.indicators, result.scores, result.listings), schemes, directory, manual,
                             assessed)
    return replace(result, scores=numbers.scores)


def replay(
    lines: Iterable[bytes],
    period: Period,
    rules: Rules,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
    on_line: Callable[[int], None] | None = None,
    exemptions: Exemptions = NONE,
) -> ReplayResult:
    book = CaseBook(rules)
    for seq, line in enumerate(lines):
        if on_line is not None:
            on_line(len(line))
        if line.strip():
            book.add_raw(line, seq, period.as_of)
    return result_of(book, period, rules, directory, schemes, manual, exemptions)


def result_of(
    book: CaseBook,
    period: Period,
    rules: Rules,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
    exemptions: Exemptions = NONE,
) -> ReplayResult:
    numbers = evaluate_period(book.cases(), period, rules, directory, schemes, manual, exemptions)
    return ReplayResult(period, *numbers, book.rejections(period.as_of), book.invalid)
