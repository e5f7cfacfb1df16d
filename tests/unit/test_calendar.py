"""Working calendar: windows, the October 2026 holiday week, the 10 October make-up workday."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.config.rules import load_calendar
from caseflow.domain.calendar import HOUR, MINUTE, WorkingCalendar, date_to_day
from tests.support.events import ms

CAL = load_calendar()


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-09-29 09:00", 2, "2026-09-29 11:00"),  # inside the morning window
        ("2026-09-29 10:00", 2, "2026-09-29 12:00"),  # lands on a window end: stays there
        ("2026-09-29 11:00", 2, "2026-09-29 15:00"),  # lunch break skipped
        ("2026-09-29 12:30", 1, "2026-09-29 15:00"),  # starts at the next window's start
        ("2026-09-29 07:00", 1, "2026-09-29 09:00"),  # before the day's first window
        ("2026-09-30 17:00", 2, "2026-10-08 09:00"),  # National Day holiday 1-7 Oct skipped
        ("2026-10-09 17:30", 1, "2026-10-10 08:30"),  # Saturday 10 Oct is a make-up workday
        ("2026-10-10 17:00", 2, "2026-10-12 09:00"),  # Sunday 11 Oct is a rest day
        ("2026-10-02 10:00", 8, "2026-10-08 18:00"),  # dispatched during the holiday
        ("2026-09-19 10:00", 1, "2026-09-20 09:00"),  # Sunday 20 Sep 2026 is a make-up workday
    ],
)
def test_add_working_time(start: str, hours: float, expected: str) -> None:
    assert CAL.add_working(ms(start), round(hours * HOUR)) == ms(expected)


def test_holiday_week_and_makeup_day() -> None:
    from datetime import date

    assert not any(CAL.is_workday(date_to_day(date(2026, 10, d))) for d in range(1, 8))
    assert CAL.is_workday(date_to_day(date(2026, 10, 10)))
    assert not CAL.is_workday(date_to_day(date(2026, 10, 11)))


def test_working_between_spans_the_holiday() -> None:
    assert CAL.working_between(ms("2026-09-30 17:00"), ms("2026-10-08 09:00")) == 2 * HOUR
    assert CAL.working_between(ms("2026-10-01 00:00"), ms("2026-10-07 23:59")) == 0


def test_subtract_is_the_inverse_of_add() -> None:
    assert CAL.subtract_working(ms("2026-10-08 09:00"), 2 * HOUR) == ms("2026-09-30 17:00")
    assert CAL.subtract_working(ms("2026-09-29 15:00"), 3 * HOUR) == ms("2026-09-29 10:00")


def test_uncovered_year_falls_back_to_monday_to_friday(tmp_path: Path) -> None:
    assert CAL.is_fallback_year(2031)
    # 2031-01-01 is a Wednesday: without a schedule it is an ordinary workday.
    assert CAL.add_working(ms("2030-12-31 17:00"), 2 * HOUR) == ms("2031-01-01 09:00")
    f = tmp_path / "cal.yaml"
    f.write_text("years:\n  2031:\n    holidays: [2031-01-01]\n    workdays: [2031-01-04]\n")
    cal = load_calendar(f)
    assert not cal.is_fallback_year(2031)
    assert cal.add_working(ms("2030-12-31 17:00"), 2 * HOUR) == ms("2031-01-02 09:00")
    assert cal.is_workday(date_to_day(__import__("datetime").date(2031, 1, 4)))


instants = st.integers(min_value=ms("2025-01-01 00:00"), max_value=ms("2026-12-20 00:00"))
amounts = st.integers(min_value=1, max_value=40 * HOUR // MINUTE).map(lambda m: m * MINUTE)


@settings(max_examples=300, deadline=None)
@given(instants, amounts, amounts)
def test_adding_is_additive(t: int, a: int, b: int) -> None:
    assert CAL.add_working(CAL.add_working(t, a), b) == CAL.add_working(t, a + b)


@settings(max_examples=300, deadline=None)
@given(instants, instants, amounts)
def test_adding_is_monotonic(t1: int, t2: int, a: int) -> None:
    lo, hi = sorted((t1, t2))
    assert CAL.add_working(lo, a) <= CAL.add_working(hi, a)


@settings(max_examples=300, deadline=None)
@given(instants, amounts)
def test_added_time_is_measured_back(t: int, a: int) -> None:
    end = CAL.add_working(t, a)
    assert CAL.working_between(t, end) == a
    assert CAL.working_between(CAL.subtract_working(end, a), end) == a


def test_plain_calendar_has_two_windows() -> None:
    assert WorkingCalendar().day_length == 8 * HOUR
