"""When a receiver's pending alerts go out (pure): the first alert at once, later ones within the
grouping window together as one message at the window's end; quiet hours hold everything but level-3
(supervision) alerts until they end; silences mute a unit or a case until a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from caseflow.instants import SHANGHAI


@dataclass(frozen=True)
class QuietHours:
    start: time  # local Asia/Shanghai
    end: time

    def end_after(self, now: datetime) -> datetime | None:
        """When the quiet period that `now` falls in ends, or None when `now` is not quiet."""
        local = now.astimezone(SHANGHAI)
        t = local.timetz().replace(tzinfo=None)
        if self.start <= self.end:
            quiet = self.start <= t < self.end
            end_day = local.date()
        else:  # over midnight, e.g. 22:00-07:00
            quiet = t >= self.start or t < self.end
            end_day = local.date() + timedelta(days=1) if t >= self.start else local.date()
        if not quiet:
            return None
        return datetime.combine(end_day, self.end, tzinfo=SHANGHAI)


@dataclass(frozen=True, slots=True)
class Pending:
    alert_id: str
    unit: str
    case_id: str
    level: int
    attempts: int


@dataclass(frozen=True, slots=True)
class Silence:
    unit: str
    case_id: str | None
    until: datetime

    def mutes(self, p: Pending, now: datetime) -> bool:
        return now < self.until and p.unit == self.unit and (self.case_id is None or self.case_id == p.case_id)


@dataclass(frozen=True)
class Plan:
    send: tuple[Pending, ...]
    wait_until: datetime | None  # for the rest
    waiting: tuple[Pending, ...]
    silenced: tuple[Pending, ...]


def plan_receiver(pending: Sequence[Pending], now: datetime, last_sent: datetime | None, window: timedelta,
                  quiet: QuietHours | None, silences: Sequence[Silence]) -> Plan:
    silenced = tuple(p for p in pending if any(s.mutes(p, now) for s in silences))
    live = [p for p in pending if p not in silenced]
    quiet_end = quiet.end_after(now) if quiet else None
    held = tuple(p for p in live if quiet_end is not None and p.level < 3)
    eligible = [p for p in live if p not in held]
    retries = [p for p in eligible if p.attempts > 0]
    fresh = [p for p in eligible if p.attempts == 0]
    window_open = last_sent is None or now - last_sent >= window
    send = tuple(retries + (fresh if window_open else []))
    waiting = held + (() if window_open else tuple(fresh))
    wait_until = None
    if held:
        wait_until = quiet_end
    if not window_open and fresh:
        assert last_sent is not None
        grouped = last_sent + window
        wait_until = grouped if wait_until is None else max(wait_until, grouped)
    return Plan(send, wait_until, waiting, silenced)
