"""Compare two period documents (replayed vs live, or stored vs fresh) and find the cases behind
each difference. Pure: documents and case states in, differences out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseflow.domain.indicators import Period
from caseflow.domain.period_tally import evaluate
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
    scope: str  # unit | region | rejected | assessment | record | exemption
    id: str
    key: str  # an indicator key, scores.<scheme>.<score|rank|grade>, or an assessment's (total, items.<id>, status)
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
    """Every key of every unit and region whose values differ (a missing side counts as None), then
    every listing row's indicators and status (keys `listings.<scheme>.<indicator>.value|pass` or
    `listings.<scheme>.status`, scoped to the listing's units or regions)."""
    out: list[Difference] = []
    for scope, plural in (("unit", "units"), ("region", "regions")):
        left, right = expected.get(plural, {}), actual.get(plural, {})
        for id_ in sorted(set(left) | set(right)):
            out += _differing(scope, id_, _flatten(left.get(id_, {})), _flatten(right.get(id_, {})))
    left_lists, right_lists = expected.get("listings") or {}, actual.get("listings") or {}
    for scheme in sorted(set(left_lists) | set(right_lists)):
        left, right = left_lists.get(scheme, {}), right_lists.get(scheme, {})
        scope = "unit" if (left or right).get("on") == "units" else "region"
        rows_a, rows_b = left.get("rows", {}), right.get("rows", {})
        for id_ in sorted(set(rows_a) | set(rows_b)):
            a, b = _listing_flat(scheme, rows_a.get(id_, {})), _listing_flat(scheme, rows_b.get(id_, {}))
            out += _differing(scope, id_, a, b)
    return (out + _rejected_differences(expected, actual) + _assessment_differences(expected, actual)
            + _exemption_differences(expected, actual))


def _exemption_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[Difference]:
    """Exemption applications (rules §4a) on one side only or differing in a field (scope `exemption`,
    the application id): compared when both sides list them (a replay given --exemptions)."""
    if "exemptions" not in expected or "exemptions" not in actual:
        return []
    left, right = expected["exemptions"], actual["exemptions"]
    out: list[Difference] = []
    for id_ in sorted(set(left) | set(right)):
        out += _differing("exemption", id_, left.get(id_, {}), right.get(id_, {}))
    return out


def _assessment_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[Difference]:
    """Each template's totals (scope `assessment`, id `<template>/<subject>`) and records (scope `record`,
    id `<template>/<record id>`) that differ; a template on one side only is one difference. Compared
    when both sides have assessments."""
    if "assessments" not in expected or "assessments" not in actual:
        return []
    out: list[Difference] = []
    left, right = expected["assessments"], actual["assessments"]
    for template in sorted(set(left) | set(right)):
        a, b = left.get(template), right.get(template)
        if a is None or b is None:
            out.append(Difference("assessment", template, "template", a and a["on"], b and b["on"]))
            continue
        for subject in sorted(set(a["totals"]) | set(b["totals"])):
            out += _differing("assessment", f"{template}/{subject}", _flat(a["totals"].get(subject, {})),
                              _flat(b["totals"].get(subject, {})))
        for record in sorted(set(a["records"]) | set(b["records"])):
            out += _differing("record", f"{template}/{record}", _flat(a["records"].get(record, {})),
                              _flat(b["records"].get(record, {})))
    return out


def _flat(entry: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (sections.<id>, items.<id>, appeal.status)."""
    flat: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _rejected_differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[Difference]:
    """Events rejected on one side and not the other, or for another reason (scope `rejected`, the event
    id). Lines a file replay found invalid never reached live, so they are not compared."""
    if "rejected" not in expected or "rejected" not in actual:
        return []
    left = {r["event_id"]: r.get("reason") for r in expected["rejected"] if r.get("reason") != "invalid"}
    right = {r["event_id"]: r.get("reason") for r in actual["rejected"] if r.get("reason") != "invalid"}
    return [Difference("rejected", event_id, "reason", left.get(event_id), right.get(event_id))
            for event_id in sorted(set(left) | set(right)) if left.get(event_id) != right.get(event_id)]


def _differing(scope: str, id_: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    return [Difference(scope, id_, key, a.get(key), b.get(key)) for key in sorted(set(a) | set(b))
            if a.get(key) != b.get(key)]


def _listing_flat(scheme: str, row: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {f"listings.{scheme}.status": row.get("status")} if row else {}
    for key, item in (row.get("indicators") or {}).items():
        for part, value in item.items():
            flat[f"listings.{scheme}.{key}.{part}"] = value
    return flat


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
    key = diff.key
    if key.startswith("listings.") and key.count(".") == 3:  # listings.<scheme>.<indicator>.<value|pass>
        key = key.split(".")[2]
    counts = RATE_PARTS.get(key, (key,)) if not key.startswith(("scores.", "listings.")) else ()
    ids = sorted(set(left) | set(right))
    found = [c for c in ids if counts and any(
        _single(left.get(c), unit, period, rules).get(k) != _single(right.get(c), unit, period, rules).get(k)
        for k in counts)]
    if not found:
        found = [c for c in ids if left.get(c) != right.get(c)]
    return tuple(found)
