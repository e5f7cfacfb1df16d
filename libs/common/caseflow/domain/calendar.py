"""Working calendar (rules §3): working windows, holidays, make-up workdays, working-time arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so local time is a fixed shift.
LOCAL_OFFSET = 8 * HOUR
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def local_day(t: int) -> int:
    """Day number (days since 1970-01-01, local) that instant t falls on."""
    return (t + LOCAL_OFFSET) // DAY


def day_start(day: int) -> int:
    """Instant of local midnight starting the given day number."""
    return day * DAY - LOCAL_OFFSET


def day_to_date(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


def date_to_day(d: date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


def month_end(t: int) -> int:
    """The local midnight that begins the month after the one instant t falls in."""
    d = day_to_date(local_day(t))
    return day_start(date_to_day(date(d.year + d.month // 12, d.month % 12 + 1, 1)))


@dataclass(frozen=True)
class WorkingCalendar:
    """Which local days are workdays, and the working windows within a workday.

    `holidays` and `makeup_workdays` are day numbers; `covered_years` are the years whose
    schedule is known. Any other year falls back to Monday-Friday (`is_fallback_year`).
    """

    holidays: frozenset[int] = frozenset()
    makeup_workdays: frozenset[int] = frozenset()
    covered_years: frozenset[int] = frozenset()
    # Working windows as (start, end) offsets from local midnight, in ms, sorted.
    windows: tuple[tuple[int, int], ...] = ((8 * HOUR, 12 * HOUR), (14 * HOUR, 18 * HOUR))
    _cache: dict[int, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def is_workday(self, day: int) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            if day in self.makeup_workdays:
                cached = True
            elif day in self.holidays:
                cached = False
            else:
                cached = (day + 3) % 7 < 5  # 1970-01-01 was a Thursday (weekday 3)
            self._cache[day] = cached
        return cached

    def is_fallback_year(self, year: int) -> bool:
        return year not in self.covered_years

    @cached_property
    def day_length(self) -> int:
        return sum(end - start for start, end in self.windows)

    def add_working(self, start: int, amount: int) -> int:
        """The instant at which `amount` ms of working time, consumed from `start`, run out.

        Starts at `start` when it lies inside a window, else at the next window's start.
        A deadline landing exactly on a window's end stays there.
        """
        if amount <= 0:
            return start
        remaining = amount
        day = local_day(start)
        base = day_start(day)
        t = start
        while True:
            if self.is_workday(day):
                for ws, we in self.windows:
                    w_start, w_end = base + ws, base + we
                    if t >= w_end:
                        continue
                    s = max(t, w_start)
                    available = w_end - s
                    if remaining <= available:
                        return s + remaining
                    remaining -= available
                    t = w_end
                # Skip whole workdays quickly when much time remains.
            day += 1
            base += DAY
            t = base
            if remaining > self.day_length * 3:
                day, base, remaining = self._skip_days(day, remaining)
                t = base

    def _skip_days(self, day: int, remaining: int) -> tuple[int, int, int]:
        length = self.day_length
        while remaining > length * 2:
            if self.is_workday(day):
                remaining -= length
            day += 1
        return day, day_start(day), remaining

    def working_between(self, t1: int, t2: int) -> int:
        """Working time (ms) inside the windows between instants t1 <= t2."""
        if t2 <= t1:
            return 0
        total = 0
        day = local_day(t1)
        last = local_day(t2)
        while day <= last:
            if self.is_workday(day):
                base = day_start(day)
                for ws, we in self.windows:
                    s = max(t1, base + ws)
                    e = min(t2, base + we)
                    if e > s:
                        total += e - s
            day += 1
        return total

    def subtract_working(self, end: int, amount: int) -> int:
        """The latest instant t with working_between(t, end) == amount (walking backwards)."""
        if amount <= 0:
            return end
        remaining = amount
        day = local_day(end)
        t = end
        while True:
            if self.is_workday(day):
                base = day_start(day)
                for ws, we in reversed(self.windows):
                    w_start, w_end = base + ws, base + we
                    if t <= w_start:
                        continue
                    e = min(t, w_end)
                    available = e - w_start
                    if remaining <= available:
                        return e - remaining
                    remaining -= available
                    t = w_start
            day -= 1
            t = day_start(day + 1)
