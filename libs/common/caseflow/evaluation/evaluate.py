"""One period's numbers from case states: indicators (rules §4, §5), every unit-score scheme (§7) and
the listings; the document they go into is built in `evaluation.document`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from caseflow.config.units import Directory
from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Indicators, Period
from caseflow.domain.period_tally import evaluate_both
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme, score_units
from caseflow.domain.state import CaseState
from caseflow.evaluation.listings import listings_of

Scores = dict[str, dict[str, dict[str, Any]]]  # scheme -> unit -> {score, rank, grade?, missing?}
Listings = dict[str, dict[str, Any]]  # scheme -> {name, on, rows}


class Numbers(NamedTuple):
    """One period's numbers: indicators, the unit-score schemes' scores, the listing schemes' rows."""

    indicators: Indicators
    scores: Scores
    listings: Listings


def evaluate_period(
    cases: list[CaseState],
    period: Period,
    rules: Rules,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
    exemptions: Exemptions = NONE,
) -> Numbers:
    """Indicators, every scheme's scores and listings for one period: the numbers replay and scoring share."""
    indicators, crossing = evaluate_both(cases, period, rules, directory.units, directory.regions,
                                         wants_cross_month(schemes), exemptions)
    return numbers_of(indicators, period, directory, schemes, manual, crossing)


def wants_cross_month(schemes: Mapping[str, Scheme]) -> bool:
    return any(s.cross_month for s in schemes.values())


def numbers_of(
    indicators: Indicators,
    period: Period,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
    crossing: Indicators | None = None,
) -> Numbers:
    """`crossing`: the cross-month counts, for the schemes that ask for them (required when any does)."""
    return Numbers(indicators, scores_of(indicators, directory, schemes, manual, crossing),
                   listings_of(indicators, period, directory, schemes))


def scores_of(
    indicators: Indicators,
    directory: Directory,
    schemes: Mapping[str, Scheme],
    manual: Mapping[str, Mapping[str, float]] | None = None,
    crossing: Indicators | None = None,
) -> Scores:
    """Every unit-score scheme over the units' indicators (cross-month schemes over `crossing`)."""
    out: Scores = {}
    for scheme_id, scheme in schemes.items():
        if scheme.kind != "unit_score":
            continue
        if scheme.cross_month and crossing is None:
            raise ValueError(f"scheme {scheme_id} scores cross-month counts; evaluate them too")
        rows = crossing.units if scheme.cross_month and crossing is not None else indicators.units
        out[scheme_id] = score_units(scheme, rows, directory.unit_class, manual)
    return out
