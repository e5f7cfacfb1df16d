"""Configuration the core is given (never reads): calendar, time-limit table, code lists, options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from caseflow.domain.calendar import HOUR, MINUTE, WorkingCalendar
from caseflow.domain.events import Duration


@dataclass(frozen=True)
class TimeLimitTable:
    """立结案标准: (major, minor, urgency) -> limit; then any urgency, then any minor, then per-urgency defaults."""

    entries: Mapping[tuple[str, str, str], Duration] = field(default_factory=dict)
    defaults: Mapping[str, Duration] = field(
        default_factory=lambda: {
            "normal": Duration(2, "working_days"),
            "urgent": Duration(2, "hours"),
        }
    )

    def limit_for(self, major: str, minor: str, urgency: str) -> Duration:
        for key in ((major, minor, urgency), (major, minor, "*"), (major, "*", urgency)):
            found = self.entries.get(key)
            if found is not None:
                return found
        return self.defaults.get(urgency) or self.defaults["normal"]


@dataclass(frozen=True)
class AlertPolicy:
    """rules §8: when the warning comes and how often overdue reminders repeat."""

    warning_fraction: float = 0.8
    repeat_interval: int = 4 * HOUR  # overdue reminders, wall time
    max_reminders: int = 50  # per level: a bound, so a forgotten case cannot alert forever


@dataclass(frozen=True)
class Rules:
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    time_limits: TimeLimitTable = field(default_factory=TimeLimitTable)
    engineering_codes: frozenset[tuple[str, str]] = frozenset()
    repeat_excluded_codes: frozenset[tuple[str, str]] = frozenset({("02", "01")})
    lateness: int = 10 * MINUTE
    alerts: AlertPolicy = field(default_factory=AlertPolicy)

    @property
    def warning_fraction(self) -> float:
        return self.alerts.warning_fraction
