"""Listing schemes (rules §7: city-department, zhejiang-region, yuhang-2019): every configured unit or
region with the scheme's indicators, targets and verdicts, for one period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow.config.units import Directory
from caseflow.domain.indicators import Indicators, Period
from caseflow.domain.schemes import Scheme, listing_row
from caseflow.evaluation.periods import kind_of

LISTING_KINDS = {"unit_listing": "units", "region_listing": "regions"}


def listings_of(indicators: Indicators, period: Period, directory: Directory,
                schemes: Mapping[str, Scheme]) -> dict[str, dict[str, Any]]:
    """scheme id -> {name, on: units | regions, judged_in: the scheme's periods, progress: whether this
    period is not one of them (its rows then say 进度, not pass or fail), rows: {id: listing_row}}."""
    out: dict[str, dict[str, Any]] = {}
    kind = kind_of(period)
    for scheme_id, scheme in sorted(schemes.items()):
        on = LISTING_KINDS.get(scheme.kind)
        if on is None:
            continue
        judged = kind in scheme.periods
        rows = indicators.units if on == "units" else indicators.regions
        trials = directory.unit_trials if on == "units" else directory.region_trials
        out[scheme_id] = {"name": scheme.name, "on": on, "judged_in": list(scheme.periods), "progress": not judged,
                          "rows": {place: listing_row(scheme, rows[place], in_trial(trials.get(place), period), judged)
                                   for place in sorted(rows)}}
    return out


def in_trial(trial_ends: int | None, period: Period) -> bool:
    """A place is on trial for a period that begins before its trial ends (the end of the trial's last
    month): a trial ending on the period's last day covers the period, one ending the month before
    does not."""
    return trial_ends is not None and period.start < trial_ends
