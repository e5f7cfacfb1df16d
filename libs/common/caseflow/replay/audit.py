"""Compare two period documents (replayed vs live, or stored vs fresh) and find the cases behind
each difference. Pure: documents and case states in, differences out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseflow.domain.indicators import Period, evaluate
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState

# A rate's difference is explained by the counts it is made of.
RATE_PARTS: dict[str, tuple[str, ...]] = {
    "disposal_rate": ("disposed", "due"), "on_time_rate": ("on_time", "due"), "close_rate": ("closed", "due"),
    "on_time_close_rate": ("closed_on_time", "due"), "rework_rate": ("reworked", "due"),
    "intact_rate": ("reworked", "due"), "repeat_rate": ("repeat", "due"), "extension_rate": ("extended", "due"),
    "satisfaction_rate": ("satisfied", "visits"), "workload_ratio": ("disposed",),
}


@dataclass(frozen=True)
class Difference:
    scope: str  # unit | region
    id: str
    key: str  # an indicator key, or scores.<scheme>.<score|rank|grade>
    expected: Any  # the replay (or the stored, closed result)
    actual: Any  # live (or a fresh replay)
    cases: tuple[str, ...] = field(default=())


def _flatten(entry: Mapping[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in entry.items() if k != "scores"}
    for scheme, result in (entry.get("scores") or {}).items():
        for k, v in result.items():
            flat[f"scores.{scheme}.{k}"] = v
    return flat


def compare(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[Difference]:
    """Every key of every unit and region whose values differ (a missing side counts as None)."""
    out: list[Difference] = []
    for scope, plural in (("unit", "units"), ("region", "regions")):
        left, right = expected.get(plural, {}), actual.get(plural, {})
        for id_ in sorted(set(left) | set(right)):
            a, b = _flatten(left.get(id_, {})), _flatten(right.get(id_, {}))
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    out.append(Difference(scope, id_, key, a.get(key), b.get(key)))
    return out


def _touches(case: CaseState, unit: str) -> bool:
    return any(a.unit == unit for a in case.assignments)


def _single(case: CaseState | None, unit: str, period: Period, rules: Rules) -> Mapping[str, Any]:
    if case is None:
        return {}
    return evaluate([case], period, rules, [unit]).units.get(unit, {})


def cases_behind(diff: Difference, expected: Sequence[CaseState], actual: Sequence[CaseState], period: Period,
                 rules: Rules) -> tuple[str, ...]:
    """The unit's cases whose own contribution to the differing counts differs between the two sides;
    when no count explains it (e.g. a cross-case key), the unit's cases whose states differ."""
    if diff.scope != "unit":
        return ()
    unit = diff.id
    left = {c.case_id: c for c in expected if _touches(c, unit)}
    right = {c.case_id: c for c in actual if _touches(c, unit)}
    key = diff.key.split(".")[0] if diff.key.startswith("scores.") else diff.key
    counts = RATE_PARTS.get(key, (key,)) if not diff.key.startswith("scores.") else ()
    ids = sorted(set(left) | set(right))
    found = [c for c in ids if counts and any(
        _single(left.get(c), unit, period, rules).get(k) != _single(right.get(c), unit, period, rules).get(k)
        for k in counts)]
    if not found:
        found = [c for c in ids if left.get(c) != right.get(c)]
    return tuple(found)
