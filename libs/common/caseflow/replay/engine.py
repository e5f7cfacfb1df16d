"""Fold an event stream into case states, then evaluate indicators and schemes for one period."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.config.units import Directory
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.caselog import CaseLog, record
from caseflow.domain.events import CaseEvent
from caseflow.domain.indicators import Indicators, Period, evaluate
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme, score_units
from caseflow.domain.state import CaseState

_EMPTY = CaseLog()


@dataclass
class CaseBook:
    """Case logs by case_id, with global event_id dedup; the in-memory twin of dispatch's tables."""

    rules: Rules
    logs: dict[str, CaseLog] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
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
        seen = self.seen
        if event.event_id in seen:
            self.duplicates += 1
            return
        seen.add(event.event_id)
        logs = self.logs
        log = logs.get(event.case_id)
        logs[event.case_id] = record(_EMPTY if log is None else log, event, self.rules)[0]

    def cases(self) -> list[CaseState]:
        return [log.state for log in self.logs.values() if log.state is not None]

    def rejections(self, as_of: int) -> list[Rejection]:
        found = [r for log in self.logs.values() for r in log.all_rejected if r.at <= as_of]
        return sorted(found, key=lambda r: (r.at, r.event_id))


@dataclass(frozen=True)
class ReplayResult:
    period: Period
    indicators: Indicators
    scores: dict[str, dict[str, dict[str, Any]]]  # scheme -> unit -> result
    rejected: list[Rejection]
    invalid: list[tuple[int, Invalid]]


def evaluate_period(
    cases: list[CaseState],
    period: Period,
    rules: Rules,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
) -> tuple[Indicators, dict[str, dict[str, dict[str, Any]]]]:
    """Indicators and every unit-score scheme for one period: the numbers replay and scoring share."""
    indicators = evaluate(cases, period, rules, directory.units, directory.regions)
    return indicators, scores_of(indicators, directory, schemes, manual)


def scores_of(
    indicators: Indicators,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Every unit-score scheme over the units' indicators."""
    return {
        scheme_id: score_units(scheme, indicators.units, directory.unit_class, manual)
        for scheme_id, scheme in schemes.items()
        if scheme.kind == "unit_score"
    }


def replay(
    lines: Iterable[bytes],
    period: Period,
    rules: Rules,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
    on_line: Callable[[int], None] | None = None,
) -> ReplayResult:
    book = CaseBook(rules)
    for seq, line in enumerate(lines):
        if on_line is not None:
            on_line(len(line))
        if line.strip():
            book.add_raw(line, seq, period.as_of)
    return result_of(book, period, rules, directory, schemes, manual)


def result_of(
    book: CaseBook,
    period: Period,
    rules: Rules,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
) -> ReplayResult:
    indicators, scores = evaluate_period(book.cases(), period, rules, directory, schemes, manual)
    return ReplayResult(period, indicators, scores, book.rejections(period.as_of), book.invalid)
