"""How good a forecast is (#35): the Brier score, its skill over a baseline, a reliability table, and the
two baselines every platform already has: the unit's own late rate, and the traffic light read as a
forecast (the late rate of past assignments that were green, or yellow, at the same point)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from caseflow.forecast.samples import Sample


def brier(p: Sequence[float], late: Sequence[bool]) -> float:
    return sum((x - y) ** 2 for x, y in zip(p, late, strict=True)) / len(p)


def skill(score: float, baseline: float) -> float:
    """1 - score / baseline: 0 is no better than the baseline, 1 is perfect."""
    return 1.0 - score / baseline


@dataclass(frozen=True)
class Decile:
    low: float
    high: float
    cases: int
    predicted: float
    observed: float


def reliability(p: Sequence[float], late: Sequence[bool], bins: int = 10) -> list[Decile]:
    """Predictions grouped by value (0-10%, 10-20%, ...): their mean beside the share that were late."""
    groups: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for x, y in zip(p, late, strict=True):
        groups[min(bins - 1, int(x * bins))].append((x, y))
    return [Decile(i / bins, (i + 1) / bins, len(g), sum(x for x, _ in g) / len(g), sum(y for _, y in g) / len(g))
            for i, g in enumerate(groups) if g]


def unit_rates(samples: Iterable[Sample]) -> tuple[dict[str, float], float]:
    """Each unit's share of late assignments among those whose outcome is known, and the city's."""
    seen: dict[str, list[int]] = {}
    for s in samples:
        late = s.late
        if late is not None:
            row = seen.setdefault(s.unit, [0, 0])
            row[0] += 1
            row[1] += late
    total = sum(r[0] for r in seen.values())
    city = sum(r[1] for r in seen.values()) / total if total else 0.0
    return {u: r[1] / r[0] for u, r in seen.items()}, city


def light_rates(samples: Iterable[Sample], warning_fraction: float) -> tuple[float, float]:
    """The late rate of known assignments that were ever green (all of them) and that turned yellow."""
    green = [0, 0]
    yellow = [0, 0]
    for s in samples:
        late = s.late
        if late is None:
            continue
        green[0] += 1
        green[1] += late
        if s.share >= warning_fraction:
            yellow[0] += 1
            yellow[1] += late
    return green[1] / max(1, green[0]), yellow[1] / max(1, yellow[0])
