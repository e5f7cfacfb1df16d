"""Build the core's Rules: calendar from chinesecalendar (+ an optional calendar file), time limits."""

from __future__ import annotations

import logging
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from caseflow.config.rules_file import alert_policy, codes_of, read_rules_file, windows_ms
from caseflow.config.schemes import ConfigError
from caseflow.domain.calendar import MINUTE, WorkingCalendar, date_to_day
from caseflow.domain.events import Duration
from caseflow.domain.rules import Rules, TimeLimitTable

log = logging.getLogger(__name__)


def package_calendar() -> tuple[set[int], set[int], set[int]]:
    import chinese_calendar

    holidays = {date_to_day(d) for d in chinese_calendar.holidays}
    makeup = {date_to_day(d) for d in chinese_calendar.workdays}
    years = {d.year for d in chinese_calendar.holidays}
    return holidays, makeup, years


def load_calendar(calendar_file: Path | None = None) -> WorkingCalendar:
    """chinesecalendar's holidays and make-up days, overridden per year by a calendar file.

    The file: `years: {2027: {holidays: [2027-01-01, ...], workdays: [2027-02-07, ...]}}`.
    """
    holidays, makeup, years = package_calendar()
    if calendar_file is not None:
        raw = yaml.safe_load(calendar_file.read_text("utf-8")) or {}
        for year, spec in (raw.get("years") or {}).items():
            year = int(year)
            holidays = {d for d in holidays if _year(d) != year}
            makeup = {d for d in makeup if _year(d) != year}
            holidays |= {date_to_day(_date(x, calendar_file)) for x in spec.get("holidays", [])}
            makeup |= {date_to_day(_date(x, calendar_file)) for x in spec.get("workdays", [])}
            years.add(year)
    return WorkingCalendar(frozenset(holidays), frozenset(makeup), frozenset(years))


def _year(day: int) -> int:
    from caseflow.domain.calendar import day_to_date

    return day_to_date(day).year


def _date(value: Any, where: Path) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def warn_if_fallback(calendar: WorkingCalendar, years: range) -> list[int]:
    """Log loudly for every year in `years` that falls back to Monday-Friday; return them."""
    from caseflow.infra.metrics import CALENDAR_FALLBACK

    missing = [y for y in years if calendar.is_fallback_year(y)]
    for year in years:
        CALENDAR_FALLBACK.labels(str(year)).set(1 if year in missing else 0)
    for year in missing:
        log.warning(
            "calendar: no holiday schedule for %s; falling back to Monday-Friday. "
            "Add the year to the calendar file (calendar_file) or upgrade chinesecalendar.", year,
        )
    return missing


def load_time_limits(path: Path | None = None) -> TimeLimitTable:
    if path is None:
        text = resources.files("caseflow.config").joinpath("time-limits.yaml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    raw = yaml.safe_load(text) or {}
    defaults = {k: Duration(float(v["value"]), v["unit"]) for k, v in (raw.get("defaults") or {}).items()}
    entries = {
        (str(e["major"]), str(e["minor"]), str(e.get("urgency", "*"))): Duration(float(e["value"]), e["unit"])
        for e in raw.get("entries") or []
    }
    return TimeLimitTable(entries=entries, defaults=defaults or TimeLimitTable().defaults)


def load_rules(calendar_file: Path | None = None, time_limits_file: Path | None = None,
               rules_file: Path | None = None) -> Rules:
    """Every service and replay build their rules here, from the same three files (None: defaults)."""
    spec = read_rules_file(rules_file)
    days = load_calendar(calendar_file)
    calendar = WorkingCalendar(days.holidays, days.makeup_workdays, days.covered_years,
                               windows_ms(spec.working_windows))
    return Rules(calendar=calendar, time_limits=load_time_limits(time_limits_file),
                 engineering_codes=codes_of(spec.all_engineering_codes()),
                 repeat_excluded_codes=codes_of(spec.repeat_excluded_codes),
                 lateness=spec.lateness_minutes * MINUTE, alerts=alert_policy(spec))
