"""Standing indicators: which kinds refresh when (their documents equal the period API's and replay's:
tests/integration/test_period_document.py)."""

from __future__ import annotations

from caseflow_scoring.standing import IDLE_PER_BUSY, KINDS, MAX_AGE, MIN_INTERVAL, due_kinds


def test_which_kinds_refresh() -> None:
    last = dict.fromkeys(KINDS, 100.0)
    assert due_kinds(last, set(), 100.5) == ()
    assert due_kinds(last, set(KINDS), 100.0 + MIN_INTERVAL["month"]) == ("day", "month")
    assert due_kinds(last, set(), 100.0 + MAX_AGE) == KINDS
    assert due_kinds({}, set(), 0.0) == KINDS  # never computed: all at once


def test_a_slow_refresh_waits_in_proportion() -> None:
    last = dict.fromkeys(KINDS, 100.0)
    took = {"day": 0.1, "month": 0.1, "quarter": 40.0, "year": 40.0}  # a province's quarter and year
    changed = set(KINDS)
    assert due_kinds(last, changed, 100.0 + MIN_INTERVAL["year"], took) == ("day", "month")
    assert due_kinds(last, changed, 100.0 + IDLE_PER_BUSY * 40.0, took) == KINDS
    assert due_kinds(last, set(), 100.0 + MAX_AGE, took) == ("day", "month")  # not even by age
    assert due_kinds(last, set(), 100.0 + MAX_AGE, {}) == KINDS
