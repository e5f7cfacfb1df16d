"""The overdue-risk model: a discrete-time survival estimate of how long assignments stay open, in the
limit's own time (working time for a working limit, suspensions not counted; calendar time for an
hours limit), as the deadline rules measure it.

For every group of past assignments the model counts, per step of elapsed time (STEPS, from minutes to
weeks), how many were still open at its start (at risk) and how many were disposed within it: the hazard.
An assignment open after `used` of its `allowance` is late when it stays open past the allowance: the
chance is S(allowance) / S(used), the product of (1 - hazard) over the steps between (Kaplan-Meier,
actuarial: an assignment still open is censored where it stands and counts half in its last step; a step
partly covered counts in proportion).

Groups are nested, each shrunk toward the one above by STRENGTH pseudo-assignments, so a unit with little
history of a kind speaks only as far as its data allow: the city (per kind of clock), the unit's class (its
peers), the unit, the unit for that urgency, for that major code, for that minor code."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from caseflow.forecast.samples import Kind, Sample

MINUTE = 60_000
# Step edges in minutes of the limit's clock: fine where most disposals happen, wide for long limits.
EDGES = tuple(m * MINUTE for m in (0, 15, 30, 45, 60, 90, 120, 180, 240, 300, 360, 480, 600, 720, 960, 1200,
                                   1440, 1920, 2400, 2880, 3840, 4800, 5760, 7680, 9600, 11520, 17280, 23040))
STEPS = len(EDGES)  # the last step runs from EDGES[-1] on
STRENGTH = 8.0
LEVELS = ("city", "class", "unit", "urgency", "major", "minor")

Key = tuple[str, ...]


def level_keys(unit: str, unit_class: int | None, kind: Kind, clock: str) -> tuple[Key, ...]:
    """The groups an assignment belongs to, widest first (one per LEVELS)."""
    u = (clock, "unit", unit)
    major = (*u, kind.urgency, kind.category, kind.major)
    return ((clock,), (clock, "class", str(unit_class)), u, (*u, kind.urgency), major, (*major, kind.minor))


def step_of(used: int) -> int:
    return bisect_right(EDGES, used) - 1


@dataclass
class Counts:
    """A group's assignments: where each ended (disposed, or still open: censored) per step, and the
    sorted times for the facts shown beside a forecast."""

    disposed: list[int] = field(default_factory=lambda: [0] * STEPS)
    censored: list[int] = field(default_factory=lambda: [0] * STEPS)
    disposed_at: list[int] = field(default_factory=list)
    open_at: list[int] = field(default_factory=list)

    def add(self, s: Sample) -> None:
        (self.disposed if s.disposed else self.censored)[step_of(max(0, s.used))] += 1
        (self.disposed_at if s.disposed else self.open_at).append(s.used)

    def at_risk(self) -> list[float]:
        """Per step: still open at its start; one censored within it counts half (actuarial)."""
        out, running = [0.0] * STEPS, 0
        for j in range(STEPS - 1, -1, -1):
            running += self.disposed[j] + self.censored[j]
            out[j] = running - 0.5 * self.censored[j]
        return out

    def record(self, used: int, allowance: int) -> tuple[int, int]:
        """Of the group's assignments that were still open after `used`, how many have an outcome known
        against `allowance` (disposed, or still open past it), and how many of those went past it. The
        times are sorted (`fit` sorts them)."""
        d, o = self.disposed_at, self.open_at
        open_past = len(o) - bisect_right(o, max(used, allowance))
        return len(d) - bisect_left(d, used) + open_past, len(d) - bisect_right(d, max(used, allowance)) + open_past


@dataclass(frozen=True)
class Model:
    counts: Mapping[Key, Counts]
    unit_class: Mapping[str, int]
    hazards: Mapping[Key, tuple[float, ...]]


def fit(samples: Iterable[Sample], unit_class: Mapping[str, int], strength: float = STRENGTH) -> Model:
    counts: dict[Key, Counts] = {}
    parents: dict[Key, tuple[int, Key | None]] = {}
    for s in samples:
        keys = level_keys(s.unit, unit_class.get(s.unit), s.kind, s.clock)
        for i, key in enumerate(keys):
            counts.setdefault(key, Counts()).add(s)
            parents.setdefault(key, (i, keys[i - 1] if i else None))
    for c in counts.values():
        c.disposed_at.sort()
        c.open_at.sort()
    hazards: dict[Key, tuple[float, ...]] = {}
    for key in sorted(counts, key=lambda k: parents[k][0]):  # every group after the one above it
        parent = parents[key][1]
        above = hazards[parent] if parent is not None else (0.0,) * STEPS
        c, at_risk = counts[key], counts[key].at_risk()
        k = strength if parent is not None else 0.0
        hazards[key] = tuple((c.disposed[j] + k * above[j]) / (at_risk[j] + k) if at_risk[j] + k > 0
                             else above[j] for j in range(STEPS))
    return Model(counts, unit_class, hazards)


def hazards_for(model: Model, unit: str, kind: Kind, clock: str) -> tuple[tuple[float, ...], str]:
    """The deepest group's hazards the model has for this unit and kind (a group never seen shrinks to
    the nearest one above it), and that group's level."""
    found: tuple[tuple[float, ...], str] = ((0.0,) * STEPS, "city")
    for level, key in zip(LEVELS, level_keys(unit, model.unit_class.get(unit), kind, clock), strict=True):
        h = model.hazards.get(key)
        if h is None:
            break
        found = (h, level)
    return found


def _survival(hazards: tuple[float, ...], t: int) -> float:
    """S(t): the chance of being still open after t, a step partly covered counting in proportion."""
    j = step_of(max(0, t))
    survive = 1.0
    for h in hazards[:j]:
        survive *= 1.0 - h
    width = EDGES[j + 1] - EDGES[j] if j + 1 < STEPS else EDGES[-1] - EDGES[-2]
    return survive * (1.0 - hazards[j]) ** min(1.0, (t - EDGES[j]) / width)


def late_chance(hazards: tuple[float, ...], used: int, allowance: int) -> float:
    """The chance of staying open past `allowance`, having stayed open for `used`."""
    if used >= allowance:
        return 1.0
    now = _survival(hazards, used)
    return _survival(hazards, allowance) / now if now > 0 else 1.0
