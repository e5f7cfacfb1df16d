"""Generate a realistic month of contract-v1 events (seeded, so every run gives the same file).

Units of three classes, regions and grids, every event type, reassignments, extensions,
suspensions, rework, nonsense events the state machine must reject, duplicates, and delivery
out of order within the lateness bound.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import orjson

from caseflow.domain.calendar import WorkingCalendar
from caseflow.instants import SHANGHAI, to_ms

SOURCES = ["collector"] * 6 + ["video"] * 2 + ["public", "supervision", "leader", "media", "self"]
CODES = [("01", "01"), ("01", "05"), ("01", "07"), ("02", "01"), ("03", "02"), ("04", "11")]
GRADES = ["primary", "secondary", "secondary", "backstreet", "key_area"]


@dataclass(frozen=True)
class Shape:
    cases: int = 1000
    units: int = 12
    regions: int = 4
    grids_per_region: int = 6
    year: int = 2026
    month: int = 10
    seed: int = 7
    start: datetime | None = None  # overrides year/month: the 28 days from this instant
    # > 0: units differ in how fast and how evenly they dispose, and work in working hours: a unit's wait
    # to dispose is working time (the working calendar, holidays included), its mean 240 minutes times
    # e^(unit_speeds * z), z ~ N(0, 1) per unit, gamma-distributed with a per-unit shape (0.6 erratic .. 4
    # steady). 0: every unit alike (exponential, 600 minutes of calendar time).
    unit_speeds: float = 0.0


def unit_ids(shape: Shape) -> list[tuple[str, int]]:
    return [(f"U-{i:03d}", 1 + i % 3) for i in range(shape.units)]


def region_ids(shape: Shape) -> list[str]:
    return [f"R-{i:02d}" for i in range(shape.regions)]


def units_yaml(shape: Shape) -> str:
    lines = ["units:"]
    for uid, cls in unit_ids(shape):
        lines += [f"  - id: {uid}", f"    name: 责任单位{uid[2:]}", f"    class: {cls}"]
    lines.append("regions:")
    for rid in region_ids(shape):
        lines += [f"  - id: {rid}", f"    name: 街道{rid[2:]}"]
    return "\n".join(lines) + "\n"


@cache
def _calendar() -> WorkingCalendar:
    from caseflow.config.rules import load_calendar

    return load_calendar()


def unit_paces(shape: Shape) -> dict[str, tuple[float, float]]:
    """Each unit's (mean wait in minutes, gamma shape) when shape.unit_speeds > 0. Neither the month nor
    the seed is part of it: every month generated with the same units and spread has the same units."""
    if shape.unit_speeds <= 0:
        return {}
    rng = random.Random(f"paces-{shape.units}-{shape.unit_speeds}")
    return {uid: (240 * math.exp(shape.unit_speeds * rng.gauss(0, 1)), rng.uniform(0.6, 4.0))
            for uid, _ in unit_ids(shape)}


class _Case:
    def __init__(self, rng: random.Random, case_id: str, start: datetime, shape: Shape,
                 paces: dict[str, tuple[float, float]] | None = None) -> None:
        self.rng, self.case_id, self.t, self.n = rng, case_id, start, 0
        self.events: list[tuple[datetime, dict[str, Any]]] = []
        self.shape = shape
        self.paces = paces or {}

    def disposal_wait(self, unit: str) -> float:
        """Minutes from now to the unit's disposal."""
        pace = self.paces.get(unit)
        if pace is None:
            return self.rng.expovariate(1 / 600)
        mean, k = pace
        working = self.rng.gammavariate(k, mean / k) * 60_000
        now = to_ms(self.t)
        return (_calendar().add_working(now, round(working)) - now) / 60_000

    def at(self, minutes: float) -> datetime:
        self.t += timedelta(minutes=minutes)
        return self.t

    def emit(self, kind: str, data: dict[str, Any], minutes: float = 0.0) -> None:
        self.n += 1
        when = self.at(minutes)
        event = {"event_id": f"{self.case_id}-{self.n}", "case_id": self.case_id, "type": kind,
                 "occurred_at": when.isoformat(timespec="seconds"), "data": data}
        self.events.append((when, event))


def _limit(rng: random.Random, urgent: bool) -> dict[str, Any]:
    roll = rng.random()
    if urgent:
        return {"time_limit": {"value": rng.choice([1, 2, 4]), "unit": "hours"}}
    if roll < 0.5:
        return {"time_limit": {"value": rng.choice([2, 4, 8]), "unit": "working_hours"}}
    if roll < 0.75:
        return {"time_limit": {"value": rng.choice([1, 2, 3]), "unit": "working_days"}}
    return {}  # the time-limit table decides


def _life(c: _Case, units: list[tuple[str, int]], regions: list[str]) -> None:
    rng = c.rng
    major, minor = rng.choice(CODES)
    region = rng.choice(regions)
    c.emit("reported", {
        "source": rng.choice(SOURCES), "category": "event" if rng.random() < 0.8 else "component",
        "major": major, "minor": minor, "region": region,
        "grid": f"{region}-G{rng.randrange(c.shape.grids_per_region)}", "road_grade": rng.choice(GRADES),
        "description": "生成的案件", "lon": 120.3, "lat": 30.4})
    c.emit("verified", {"by": "C-01"}, rng.uniform(2, 30))
    if rng.random() < 0.1:
        c.emit("invalidated", {"reason": "不属于城管范围"}, rng.uniform(1, 20))
        if rng.random() < 0.3:
            c.emit("dispatched", {"unit": rng.choice(units)[0]}, 5)  # rejected: case_invalidated
        return
    urgent = rng.random() < 0.05
    c.emit("filed", {"urgency": "urgent" if urgent else "normal"}, rng.uniform(1, 20))
    if rng.random() < 0.05:
        return  # filed, never dispatched
    unit = rng.choice(units)[0]
    c.emit("dispatched", {"unit": unit, **_limit(rng, urgent)}, rng.uniform(1, 30))
    if rng.random() < 0.08:
        c.emit("returned", {"unit": unit, "reason": "不属于本单位"}, rng.uniform(10, 300))
        unit = rng.choice(units)[0]
        c.emit("dispatched", {"unit": unit, **_limit(rng, urgent)}, rng.uniform(5, 60))
    if rng.random() < 0.05:
        c.emit("disposed", {"unit": unit + "-X"}, rng.uniform(1, 30))  # rejected: wrong_unit
    if rng.random() < 0.06:
        c.emit("extended", {"unit": unit, "extra": {"value": rng.choice([4, 8]), "unit": "working_hours"},
                            "engineering": rng.random() < 0.3}, rng.uniform(10, 200))
    if rng.random() < 0.05:
        c.emit("suspended", {"unit": unit, "reason": "等待审批"}, rng.uniform(10, 200))
        c.emit("resumed", {"unit": unit}, rng.uniform(60, 3000))
    if rng.random() < 0.03:
        reason = rng.choice(["leader_instruction", "media", "other"])
        c.emit("supervised", {"reason": reason}, rng.uniform(5, 100))
        if reason == "leader_instruction":  # 领导批示 comes with its own deadline, four hours on
            when, event = c.events[-1]
            event["data"]["deadline_at"] = (when + timedelta(hours=4)).isoformat(timespec="seconds")
    if rng.random() < 0.07:
        return  # left open: pending or overdue at month end
    c.emit("disposed", {"unit": unit}, c.disposal_wait(unit))
    if rng.random() < 0.08:
        c.emit("reworked", {"unit": unit}, rng.uniform(10, 120))
        c.emit("disposed", {"unit": unit}, rng.expovariate(1 / 300))
    if rng.random() < 0.03:
        c.emit("reworked", {"unit": unit}, 1)  # may be fine (after disposal) — a second rework
        c.emit("disposed", {"unit": unit}, rng.uniform(30, 200))
    if rng.random() < 0.9:
        c.emit("closed", {}, rng.uniform(10, 600))
        if rng.random() < 0.02:
            c.emit("closed", {}, 5)  # rejected: already_closed
        if rng.random() < 0.5:
            c.emit("visited", {"result": rng.choice(["satisfied"] * 4 + ["basically_satisfied", "unsatisfied"]),
                               "valid": rng.random() < 0.95}, rng.uniform(600, 3000))


def generate(shape: Shape) -> Iterator[bytes]:
    """Lines in delivery order: occurred_at plus a delay of up to 5 minutes, duplicates included."""
    rng = random.Random(shape.seed)
    units = unit_ids(shape)
    regions = region_ids(shape)
    paces = unit_paces(shape)
    start = shape.start or datetime(shape.year, shape.month, 1, tzinfo=SHANGHAI)
    span_minutes = 28 * 24 * 60
    deliveries: list[tuple[datetime, int, dict[str, Any]]] = []
    serial = 0
    for i in range(shape.cases):
        reported = start + timedelta(minutes=rng.uniform(0, span_minutes))
        case = _Case(rng, f"C{shape.year}{shape.month:02d}-{i:07d}", reported, shape, paces)
        _life(case, units, regions)
        for when, event in case.events:
            serial += 1
            delay = timedelta(seconds=rng.uniform(0, 300))
            deliveries.append((when + delay, serial, event))
            if rng.random() < 0.02:  # the platform resends: a duplicate
                deliveries.append((when + delay + timedelta(seconds=rng.uniform(1, 3600)), serial, event))
    if shape.cases:
        orphan = {"event_id": "orphan-1", "case_id": "NEVER-REPORTED", "type": "disposed",
                  "occurred_at": (start + timedelta(days=3)).isoformat(), "data": {"unit": units[0][0]}}
        deliveries.append((start + timedelta(days=3), 0, orphan))
    deliveries.sort(key=lambda d: (d[0], d[1]))
    for _, _, event in deliveries:
        yield orjson.dumps(event) + b"\n"
