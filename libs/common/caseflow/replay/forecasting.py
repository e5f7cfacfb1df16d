"""Events folded in the order they happened, with the case states read off at chosen instants: what the
overdue-risk forecast learns from and forecasts on, offline (`caseflow forecast`, the benchmark)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.events import CaseEvent
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.forecast.model import STRENGTH, Model, fit
from caseflow.forecast.risk import Risk, risks
from caseflow.forecast.samples import samples_of
from caseflow.replay.engine import CaseBook


def in_time_order(lines: Iterable[bytes]) -> tuple[list[CaseEvent], int]:
    """The valid events by the instant they happened (then arrival); and how many lines were not events."""
    events: list[tuple[int, int, CaseEvent]] = []
    invalid = 0
    for seq, line in enumerate(lines):
        if not line.strip():
            continue
        event = parse(line, seq)
        if isinstance(event, Invalid):
            invalid += 1
            continue
        events.append((event.at, seq, event))
    events.sort(key=lambda e: (e[0], e[1]))
    return [e for _, _, e in events], invalid


def states_at(events: list[CaseEvent], instants: Iterable[int], rules: Rules) -> Iterator[tuple[int, list[CaseState]]]:
    """The case states as they stood at each instant (ascending), folding each event once."""
    book = CaseBook(rules)
    i = 0
    for t in sorted(instants):
        while i < len(events) and events[i].at <= t:
            book.add(events[i], i)
            i += 1
        yield t, book.cases()


def model_at(cases: Iterable[CaseState], t: int, rules: Rules, unit_class: Mapping[str, int],
             strength: float = STRENGTH) -> Model:
    return fit(samples_of(cases, t, rules.calendar), unit_class, strength)


def forecast_at(cases: list[CaseState], t: int, rules: Rules, unit_class: Mapping[str, int],
                only: set[str] | None = None, strength: float = STRENGTH) -> list[Risk]:
    """Learn from every assignment as of `t`, forecast every one open at `t` (of the cases in `only`)."""
    model = model_at(cases, t, rules, unit_class, strength)
    targets = cases if only is None else [c for c in cases if c.case_id in only]
    return risks(model, targets, t, rules.calendar)
