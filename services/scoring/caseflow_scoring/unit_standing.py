"""A unit's standing (手机上的考核看板, issue #32): everything that judges one unit in one month, read from
the same period document every endpoint serves (a closed month as closed, else live), with the cases
behind each count that costs points and what the unit may still do about them.

`standing_of` is pure (a document and the facts in, one JSON-ready answer out); `unit_standing` gathers
them through ports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from caseflow.config.units import Directory
from caseflow.domain import asof
from caseflow.domain.indicators import Period
from caseflow.domain.schemes import Scheme
from caseflow.domain.state import CaseState
from caseflow.evaluation.case_lines import case_lines
from caseflow.evaluation.periods import month_bounds, parse_instant, shift_month
from caseflow.instants import iso
from caseflow_scoring.bulletin import terms_of
from caseflow_scoring.ports import CaseReader

Document = Callable[[str], Awaitable[dict[str, Any] | None]]  # a month's document (None: not available)
TREND_MONTHS = 12
COSTS = ("overdue", "reworked", "extended", "returned", "supervised")


def scheme_part(scheme: Scheme, doc: Mapping[str, Any], unit: str, unit_class: Mapping[str, int],
                previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """One scheme's score for the unit with every term of its formula, its rank among those it is ranked
    with, and the change from the previous month."""
    row, mine = doc["units"][unit], doc["units"][unit]["scores"][scheme.id]
    terms, adds_up = terms_of(scheme, row, mine)
    group = [u for u, r in doc["units"].items() if scheme.id in r["scores"] and (
        scheme.rank_within != "class" or unit_class.get(u) == unit_class.get(unit))]
    before = (previous or {}).get("units", {}).get(unit, {}).get("scores", {}).get(scheme.id)
    change = None
    if before is not None:
        change = {"score": mine["score"] - before["score"],
                  "rank": None if before.get("rank") is None or mine.get("rank") is None
                  else before["rank"] - mine["rank"]}  # positive: moved up
    return {"id": scheme.id, "name": scheme.name, "score": mine["score"], "grade": mine.get("grade"),
            "rank": mine.get("rank"), "of": len(group), "ranked_within": scheme.rank_within,
            "missing": mine.get("missing", []), "terms": terms, "terms_add_up": adds_up,
            "cross_month": scheme.cross_month, "previous": before, "change": change}


def cost_lines(states: Sequence[CaseState], unit: str, period: Period) -> dict[str, list[dict[str, Any]]]:
    """The unit's assignments of the month behind each count that costs points."""
    overdue, reworked = case_lines(states, period)
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in COSTS}

    def line(case_id: str, seq: int, dispatched: int, deadline: int | None, disposed: int | None,
             status: str) -> dict[str, Any]:
        return {"case_id": case_id, "assignment": seq, "dispatched_at": iso(dispatched),
                "deadline": iso(deadline) if deadline is not None else None,
                "disposed_at": iso(disposed) if disposed is not None else None, "status": status}

    for c in overdue:
        if c.unit == unit:
            out["overdue"].append(line(c.case_id, c.assignment, c.dispatched_at, c.deadline, c.disposed_at, c.status))
    for c in reworked:
        if c.unit == unit:
            out["reworked"].append({**line(c.case_id, c.assignment, c.dispatched_at, c.deadline, c.disposed_at,
                                           c.status), "reworks": c.reworks})
    t = period.as_of
    for case in states:  # counted as domain.tally counts them: returned assignments only as returned
        for a in case.assignments:
            if a.unit != unit or not period.contains(a.dispatched_at):
                continue
            here = line(case.case_id, a.seq, a.dispatched_at, asof.deadline_at(a, t), asof.disposed_at(a, t), "")
            if asof.returned_by(a, t):
                out["returned"].append({**here, "status": "已回退"})
                continue
            if asof.extended_by(a, t):
                out["extended"].append({**here, "status": "延期"})
            if case.supervisions and asof.supervised_by(case, t):
                out["supervised"].append({**here, "status": "督办",
                                          "reasons": sorted(asof.supervision_reasons_by(case, t))})
    for lines in out.values():
        lines.sort(key=lambda x: (x["dispatched_at"], x["case_id"]))
    return out


def scores_in(doc: Mapping[str, Any] | None, unit: str) -> dict[str, float]:
    return {s: v["score"] for s, v in doc["units"].get(unit, {}).get("scores", {}).items()} if doc else {}


def templates_of(doc: Mapping[str, Any], subject: str, names: Mapping[str, str]) -> dict[str, Any]:
    """The subject's total, rank and records in every assessment template that scores it."""
    return {tid: {"name": names.get(tid, tid), "total": part["totals"][subject]["total"],
                  "rank": part["totals"][subject].get("rank"),
                  "records": [{"id": rid, **r} for rid, r in part["records"].items() if r["subject"] == subject]}
            for tid, part in (doc.get("assessments") or {}).items() if subject in part.get("totals", {})}


def region_standing_of(region: str, period: str, doc: Mapping[str, Any], directory: Directory,
                       trend: Sequence[tuple[str, Mapping[str, Any] | None]],
                       template_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A region's (镇/街道) month on the same page: its indicators, each listing that judges it against
    its targets (试运行 where it is on trial), its template totals and records, its on-time trend."""
    known = directory.regions.get(region)
    listings = [{"id": lid, "name": listing.get("name", lid), "progress": listing.get("progress", False),
                 "status": listing["rows"][region].get("status"), "indicators": listing["rows"][region]["indicators"]}
                for lid, listing in sorted((doc.get("listings") or {}).items())
                if listing.get("on") == "regions" and region in listing.get("rows", {})]

    def on_time(d: Mapping[str, Any] | None) -> dict[str, float]:
        rate = (d or {}).get("regions", {}).get(region, {}).get("on_time_rate")
        return {"on_time_rate": 100 * rate} if rate is not None else {}

    return {
        "kind": "region", "unit": {"id": region, "name": known.name if known else region, "class": None},
        "trial": region in directory.region_trials, "period": period, "span": doc["period"],
        "closed": doc.get("closed"), "served": doc.get("served"),
        "indicators": dict(doc.get("regions", {}).get(region, {})), "listings": listings, "schemes": [],
        "assessments": templates_of(doc, region, template_names or {}), "costs": {}, "exemptions": [],
        "exemption_window": {"closes_at": None, "open": False},
        "trend": [{"period": p, "closed": bool(d and d.get("closed")), "scores": on_time(d)} for p, d in trend],
    }


def standing_of(unit: str, period: str, doc: Mapping[str, Any], directory: Directory,
                schemes: Mapping[str, Scheme], previous: Mapping[str, Any] | None,
                trend: Sequence[tuple[str, Mapping[str, Any] | None]], costs: Mapping[str, list[dict[str, Any]]],
                facts: Mapping[str, Mapping[str, str]], window: tuple[int, int],
                template_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`window`: (closes_at, now): while it is open, a line that costs points may be applied for (核减)."""
    known = directory.units.get(unit)
    row = doc["units"].get(unit)
    applied = {(a["case_id"], a["dispatched_at"]): {"id": i, **a}
               for i, a in (doc.get("exemptions") or {}).items() if a["unit_id"] == unit}
    open_window = window[1] < window[0] and doc.get("closed") is None
    kinds = {"overdue": ["on_time", "exclude"], "reworked": ["rework", "exclude"]}

    def with_case(kind: str, x: dict[str, Any]) -> dict[str, Any]:
        f = facts.get(x["case_id"], {})
        mine = applied.get((x["case_id"], x["dispatched_at"]))
        return {**x, "address": f.get("address", ""), "description": f.get("description", ""),
                "exemption": mine, "may_apply": kinds.get(kind, []) if open_window and mine is None else []}

    return {
        "unit": {"id": unit, "name": known.name if known else unit, "class": known.unit_class if known else None},
        "period": period, "span": doc["period"], "closed": doc.get("closed"), "served": doc.get("served"),
        "indicators": {k: v for k, v in (row or {}).items() if k != "scores"},
        "schemes": [scheme_part(schemes[s], doc, unit, directory.unit_class, previous)
                    for s in sorted((row or {}).get("scores", {})) if s in schemes],
        "assessments": templates_of(doc, unit, template_names or {}),
        "costs": {kind: [with_case(kind, x) for x in lines] for kind, lines in costs.items()},
        "exemptions": sorted(applied.values(), key=lambda a: a["id"]),
        "exemption_window": {"closes_at": iso(window[0]), "open": open_window},
        "trend": [{"period": p, "closed": bool(d and d.get("closed")), "scores": scores_in(d, unit)} for p, d in trend],
    }


async def trend_of(period: str, doc: dict[str, Any], closed_document: Document
                   ) -> list[tuple[str, dict[str, Any] | None]]:
    """The last 12 months: closed months as closed; a month never closed shows no score rather than being
    recomputed eleven times on every page load."""
    trend = [(m, await closed_document(m)) for m in (shift_month(period, -k) for k in range(TREND_MONTHS - 1, 0, -1))]
    trend.append((period, doc))
    return trend


async def unit_standing(unit: str, period: str, document: Document, closed_document: Document, reader: CaseReader,
                        directory: Directory, schemes: Mapping[str, Scheme], closes_at: int, now: int,
                        template_names: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """None when the unit (or region) is neither configured nor holds an assignment (a case) in the month."""
    doc = await document(period)
    if doc is None:
        return None
    if unit not in directory.units and (unit in directory.regions or unit in doc.get("regions", {})):
        return region_standing_of(unit, period, doc, directory, await trend_of(period, doc, closed_document),
                                  template_names)
    if unit not in doc["units"] and unit not in directory.units:
        return None
    if unit not in doc["units"]:
        doc = {**doc, "units": {**doc["units"], unit: {"scores": {}}}}
    previous = await closed_document(shift_month(period, -1)) or await document(shift_month(period, -1))
    trend = await trend_of(period, doc, closed_document)
    start, end = month_bounds(period)
    span = Period(start, end, parse_instant(doc["period"]["as_of"], "as_of"))  # the cases as the numbers saw them
    states = [s async for batch in reader.case_batches(span) for s in batch
              if any(a.unit == unit for a in s.assignments)]
    costs = cost_lines(states, unit, span)
    ids = sorted({x["case_id"] for lines in costs.values() for x in lines})
    facts = {case_id: f for case_id, (_, f) in (await reader.with_facts(ids)).items()}
    return standing_of(unit, period, doc, directory, schemes, previous, trend, costs, facts, (closes_at, now),
                       template_names)
