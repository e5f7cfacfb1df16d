"""Parse --period / --start / --end / --as-of into a Period (Asia/Shanghai local time)."""

from __future__ import annotations

import re
from datetime import datetime

from caseflow.domain.indicators import Period
from caseflow.instants import SHANGHAI, to_ms


class PeriodError(ValueError):
    pass


def parse_instant(text: str, flag: str) -> int:
    """An ISO date or date-time; without an offset it is Asia/Shanghai local time."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(f"{flag} {text!r}: expected ISO 8601, e.g. 2026-10-01 or 2026-10-01T00:00+08:00") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return to_ms(value)


def month_bounds(text: str, label: str = "period") -> tuple[int, int]:
    """`label` names what was given: `--period` on the command line, `period` in the API."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"{label} {text!r}: expected a month as YYYY-MM, e.g. 2026-10")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return to_ms(start), to_ms(end)


def named_bounds(text: str, label: str = "period") -> tuple[int, int]:
    """A day (2026-10-08), month (2026-10), quarter (2026-Q4) or year (2026), in Asia/Shanghai."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        start_ms = parse_instant(text, label)
        return start_ms, start_ms + 86_400_000
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return month_bounds(text, label)
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text)
    if quarter:
        year, q = int(quarter.group(1)), int(quarter.group(2))
        first = month_bounds(f"{year}-{3 * q - 2:02d}")[0]
        last = month_bounds(f"{year}-{3 * q:02d}")[1]
        return first, last
    if re.fullmatch(r"\d{4}", text):
        return month_bounds(f"{text}-01")[0], month_bounds(f"{text}-12")[1]
    raise PeriodError(f"{label} {text!r}: expected a day, month, quarter or year: YYYY-MM-DD, YYYY-MM, "
                      "YYYY-Qn or YYYY, e.g. 2026-10 or 2026-Q4")


def months_in(text: str) -> list[str]:
    """The months a named period covers (a day: none), oldest first; PeriodError as named_bounds."""
    named_bounds(text)
    if re.fullmatch(r"\d{4}", text):
        return [f"{text}-{m:02d}" for m in range(1, 13)]
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text)
    if quarter:
        q = int(quarter.group(2))
        return [f"{quarter.group(1)}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    return [text] if re.fullmatch(r"\d{4}-\d{2}", text) else []


def kind_of(period: Period) -> str:
    """day, month, quarter or year when the period's bounds are one (Asia/Shanghai), else `range`."""
    start = datetime.fromtimestamp(period.start / 1000, SHANGHAI)
    if start.hour or start.minute or start.second:
        return "range"
    names = {"day": start.strftime("%Y-%m-%d"), "month": start.strftime("%Y-%m"),
             "quarter": f"{start.year}-Q{(start.month - 1) // 3 + 1}", "year": str(start.year)}
    for kind, name in names.items():
        if named_bounds(name) == (period.start, period.end):
            return kind
    return "range"


def make_period(period: str | None, start: str | None, end: str | None, as_of: str | None) -> Period:
    if period:
        if start or end:
            raise PeriodError("give either --period or --start/--end, not both")
        s, e = named_bounds(period, "--period")
    elif start and end:
        s, e = parse_instant(start, "--start"), parse_instant(end, "--end")
    else:
        raise PeriodError("say which period: --period 2026-10, or --start ISO --end ISO")
    if e <= s:
        raise PeriodError("--end must be after --start")
    t = parse_instant(as_of, "--as-of") if as_of else e
    return Period(s, e, t)


def current_periods(now: int) -> dict[str, str]:
    """The day, month, quarter and year (Asia/Shanghai) that contain the instant `now` (ms)."""
    local = datetime.fromtimestamp(now / 1000, SHANGHAI)
    return {"day": f"{local:%Y-%m-%d}", "month": f"{local:%Y-%m}",
            "quarter": f"{local.year}-Q{(local.month - 1) // 3 + 1}", "year": f"{local.year}"}


def shift_month(month: str, by: int) -> str:
    """yyyy-mm `by` months later (earlier when negative)."""
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + (mon - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
