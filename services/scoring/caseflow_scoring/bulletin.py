"""The published bulletin of a closed month (公开, issue #32): readable without any key where the city
publishes it (CASEFLOW_PUBLISH_BULLETIN). Built from the frozen document only, so it shows what
close-month signed, with its content hash: rankings per scheme (and class) with every term, regions
against their targets and the 试运行 towns, and the method (each scheme's formula in words). Units and
regions are named; nothing of a case, a reporter or a person is on it. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow.config.units import Directory
from caseflow.domain.schemes import Scheme, Term, term_results
from caseflow.evaluation.labels import CLASS_ZH, REGION_ZH, TERM_ZH


def terms_of(scheme: Scheme, row: Mapping[str, Any], score: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """Every term of a unit's score as (label, weight, value, points), and whether they add up to it. A single
    manual term (entered, or fed by a template) gets what the score holds beyond the other terms."""
    terms: list[dict[str, Any]] = [{"label": t.label, "weight": t.weight, "value": t.value, "points": t.points}
                                   for t in term_results(scheme, row, {})]
    manual = [i for i, term in enumerate(scheme.terms) if term.manual is not None]
    if len(manual) == 1:
        i, name = manual[0], scheme.terms[manual[0]].manual
        points = score["score"] - sum(t["points"] for j, t in enumerate(terms) if j != i)
        weight = terms[i]["weight"]
        terms[i].update(points=points, value=None if name in score.get("missing", []) else
                        (points / weight if weight else None))
    return terms, abs(sum(t["points"] for t in terms) - score["score"]) < 1e-6


def term_in_words(term: Term) -> str:
    if term.key is not None:
        what = TERM_ZH.get(term.key, term.key)
    elif term.ratio is not None:
        what = f"{TERM_ZH.get(term.ratio[0], term.ratio[0])}/{TERM_ZH.get(term.ratio[1], term.ratio[1])}"
    elif term.manual is not None:
        what = TERM_ZH.get(term.manual, term.manual) + "（人工评价）"
    else:
        what = f"按{TERM_ZH.get(term.steps_on or '', term.steps_on or '')}分档"
    cap = f"（最多 {term.max_points:g} 分）" if term.max_points is not None else ""
    return f"{term.weight:g} × {what}{cap}"


def method(scheme: Scheme) -> dict[str, Any]:
    terms = [term_in_words(t) for t in scheme.terms]
    words = " + ".join(terms) if terms else "、".join(TERM_ZH.get(k, k) for k in scheme.indicators)
    return {"id": scheme.id, "name": scheme.name, "kind": scheme.kind, "formula": words,
            "ranked_within": "同类单位之间" if scheme.rank_within == "class" else "全部单位",
            "cross_month": scheme.cross_month}


def bulletin(record: Mapping[str, Any], directory: Directory, schemes: Mapping[str, Scheme],
             versions: Mapping[str, str]) -> dict[str, Any]:
    """`versions`: the schemes' fingerprints now. A scheme changed since the month closed is shown with its
    frozen scores only: its present formula and terms are not the ones the month was scored by."""
    doc, frozen = record["document"], record.get("scheme_versions") or {}
    names = {u.id: u.name for u in directory.units.values()} | {r.id: r.name for r in directory.regions.values()}
    rankings = []
    for sid, scheme in sorted(schemes.items()):
        same = frozen.get(sid) == versions.get(sid)
        rows = []
        for unit, row in doc["units"].items():
            score = row.get("scores", {}).get(sid)
            if score is None:
                continue
            cls = directory.unit_class.get(unit)
            terms = [] if scheme.cross_month or not same else [
                {**t, "label": TERM_ZH.get(t["label"], t["label"])} for t in terms_of(scheme, row, score)[0]]
            rows.append({"unit": unit, "name": names.get(unit, unit), "class": CLASS_ZH.get(cls or 0, ""),
                         "group": cls if scheme.rank_within == "class" else None, "rank": score.get("rank"),
                         "score": score["score"], "grade": score.get("grade"), "terms": terms})
        rows.sort(key=lambda r: (r["group"] or 0, r["rank"] is None, r["rank"] or 0, -r["score"]))
        if rows:
            told = method(scheme) if same else {"id": sid, "name": scheme.name, "kind": scheme.kind,
                                                "formula": "本办法已于本月结算后修订；本月得分按结算时的办法计算",
                                                "ranked_within": "", "cross_month": False}
            rankings.append({**told, "rows": rows})
    listings = []
    for lid, listing in sorted((doc.get("listings") or {}).items()):
        if listing.get("on") != "regions":
            continue
        listings.append({"id": lid, "name": listing.get("name", lid), "rows": [
            {"region": rid, "name": names.get(rid, rid), "status": r.get("status"),
             "indicators": {REGION_ZH.get(k, k): v for k, v in r.get("indicators", {}).items()}}
            for rid, r in sorted(listing.get("rows", {}).items())]})
    return {"period": record["period"], "content_hash": record["content_hash"], "closed_at": record["closed_at"],
            "rankings": rankings, "regions": listings}
