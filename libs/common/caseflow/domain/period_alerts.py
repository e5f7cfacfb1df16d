"""Alerts a month of cases raises together (rules §8): supervision of repeat cases (rules §6) and of
units whose month-to-date on-time rate is below their target. Stable ids, like every alert."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from caseflow.domain import asof
from caseflow.domain.alerts import Alert, alert_id
from caseflow.domain.repeats import REPEAT_THRESHOLD, RepeatKey, counts_for_repeats, repeat_key
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState


class RepeatMember(NamedTuple):
    """What a repeat alert needs of a case, kept instead of the case while a month is read in batches."""

    reported_at: int
    case_id: str
    filed_at: int
    holder_seq: int
    holder_unit: str


RepeatGroups = dict[RepeatKey, list[RepeatMember]]


def gather_repeat_members(into: RepeatGroups, cases: Iterable[CaseState], start: int, end: int, now: int,
                          rules: Rules) -> None:
    """Add the cases that could be repeats of [start, end) as of `now` (filed events reported in it)."""
    for case in cases:
        if start <= case.reported_at < end and case.reported_at <= now and asof.filed_by(case, now) \
                and counts_for_repeats(case, rules.repeat_excluded_codes):
            holder = case.assignments[-1] if case.assignments else None
            into.setdefault(repeat_key(case), []).append(RepeatMember(
                case.reported_at, case.case_id, case.filed_at or 0, holder.seq if holder else -1,
                holder.unit if holder else ""))


def plan_repeat_alerts(cases: Sequence[CaseState], start: int, end: int, now: int, rules: Rules) -> list[Alert]:
    """Supervision alerts for repeat cases (rules §6) of the period [start, end), due by `now`."""
    groups: RepeatGroups = {}
    gather_repeat_members(groups, cases, start, end, now, rules)
    return plan_repeat_alerts_of(groups, start)


def plan_repeat_alerts_of(groups: RepeatGroups, start: int) -> list[Alert]:
    """A case is known as a repeat once it and k-1 cases of its group reported before it have been filed."""
    out: list[Alert] = []
    for key, members in groups.items():
        k = REPEAT_THRESHOLD.get(key[3], 3)
        members.sort(key=lambda m: (m.reported_at, m.case_id))
        for i in range(k - 1, len(members)):
            case = members[i]
            earlier = sorted(m.filed_at for m in members[:i])
            at = max(case.filed_at, earlier[k - 2] if k >= 2 else 0)
            out.append(Alert(alert_id("supervision", case.case_id, "repeat", str(start)), "supervision",
                             case.case_id, case.holder_seq, case.holder_unit, 1, at, "repeat_case"))
    return sorted(out, key=lambda x: (x.at, x.alert_id))


def plan_unit_rate_alerts(units: Mapping[str, Mapping[str, object]], period_start: int, now: int,
                          targets: Mapping[str, float], default_target: float, min_due: int = 10) -> list[Alert]:
    """Supervision when a unit's month-to-date on_time_rate is below its target with at least
    `min_due` due; one alert per unit and month. `units` are indicator rows evaluated as of `now`."""
    out = []
    for unit, row in sorted(units.items()):
        rate, due = row.get("on_time_rate"), row.get("due")
        target = targets.get(unit, default_target)
        if isinstance(rate, float) and isinstance(due, int) and due >= min_due and rate < target:
            out.append(Alert(alert_id("supervision", unit, "on_time_rate", str(period_start)), "supervision", "",
                             -1, unit, 1, now, "below_target",
                             detail=f"month-to-date on_time_rate {rate:.3f} below target {target:.3f}"))
    return out
