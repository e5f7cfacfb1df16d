"""Each open assignment's overdue risk as of an instant, with the few facts behind the number."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec import Struct

from caseflow.domain import asof
from caseflow.domain.calendar import WorkingCalendar
from caseflow.domain.deadlines import elapsed
from caseflow.domain.state import CaseState
from caseflow.forecast.model import LEVELS, Key, Model, hazards_for, late_chance, level_keys
from caseflow.forecast.samples import kind_of

FACT_AT_LEAST = 10  # a group's record is shown when this many of its assignments reached the same point
# No number at all below this: fewer past assignments in the whole city that were still open this long
# with their outcome against this limit known (a new deployment's first days) say nothing worth a number.
MIN_HISTORY = 20
LEVEL_ZH = {"city": "全市", "class": "同类单位", "unit": "本单位", "urgency": "本单位同紧急程度",
            "major": "本单位同大类", "minor": "本单位同小类"}


class Risk(Struct, frozen=True):
    """`share`: limit used so far; `p_late`: the chance it is disposed after its deadline (None: too little
    history to say, MIN_HISTORY); `basis`: the group whose record is shown (`seen` of its assignments got
    this far with their outcome known, `late` of them were late), beside the city's (`city_seen`,
    `city_late`)."""

    case_id: str
    seq: int
    unit: str
    cycle_start: int  # dispatch, or its latest rework
    dispatched_at: int
    deadline: int
    share: float
    suspended: bool
    p_late: float | None
    basis: str
    seen: int
    late: int
    city_seen: int
    city_late: int

    @property
    def why(self) -> str:
        if self.share >= 1.0:
            return "已超过处置时限" + ("（挂起中）" if self.suspended else "")
        used = f"已用时限 {self.share:.0%}" + ("（挂起中，计时暂停）" if self.suspended else "")
        if self.p_late is None:
            return (f"{used}；历史数据不足：全市用时到此、结果已知的案件仅 {self.city_seen} 件"
                    f"（至少 {MIN_HISTORY} 件才给出风险）")
        mine = f"{LEVEL_ZH[self.basis]}用时到此仍未处置的 {self.seen} 件中 {self.late} 件超过本案时限才处置"
        city = f"全市 {self.city_seen} 件中 {self.city_late} 件" if self.basis != "city" else ""
        return "；".join(x for x in (used, mine, city) if x)


def open_at(cases: Iterable[CaseState], t: int) -> list[tuple[CaseState, int]]:
    """(case, assignment index) of every assignment open at `t`: dispatched, not returned, not disposed."""
    return [(case, i) for case in cases for i, a in enumerate(case.assignments)
            if a.dispatched_at <= t and not asof.returned_by(a, t) and asof.disposed_at(a, t) is None
            and a.allowance > 0]


def _record(model: Model, keys: tuple[Key, ...], used: int, allowance: int) -> tuple[str, int, int, int, int]:
    """The deepest group with enough assignments that got this far to speak of (the city at least): its
    level, known and late, then the city's known and late."""
    chosen, city = ("city", 0, 0), (0, 0)
    for level, key in zip(LEVELS, keys, strict=True):
        c = model.counts.get(key)
        if c is None:
            break
        known, late = c.record(used, allowance)
        if level == "city":
            city = (known, late)
        if level == "city" or known >= FACT_AT_LEAST:
            chosen = (level, known, late)
    return (*chosen, *city)


def risk_of(model: Model, case: CaseState, index: int, t: int, calendar: WorkingCalendar) -> Risk:
    a = case.assignments[index]
    kind = kind_of(case)
    used = elapsed(a, t, calendar)
    hazards, _ = hazards_for(model, a.unit, kind, a.kind)
    keys = level_keys(a.unit, model.unit_class.get(a.unit), kind, a.kind)
    basis, seen, late, city_seen, city_late = _record(model, keys, used, a.allowance)
    known = used >= a.allowance or city_seen >= MIN_HISTORY
    p = round(late_chance(hazards, used, a.allowance), 4) if known else None
    return Risk(case.case_id, a.seq, a.unit, a.cycle_start, a.dispatched_at, asof.deadline_at(a, t),
                round(used / a.allowance, 4), asof.suspended_at(a, t), p, basis, seen, late, city_seen, city_late)


def risks(model: Model, cases: Iterable[CaseState], t: int, calendar: WorkingCalendar) -> list[Risk]:
    """Every assignment open at `t`, riskiest first."""
    found = [risk_of(model, case, i, t, calendar) for case, i in open_at(cases, t)]
    return sorted(found, key=lambda r: (-(r.p_late if r.p_late is not None else -1.0), r.deadline, r.case_id))
