"""The month's 通报 when it closes (issue #32, 阶段通报): to every unit, its score, rank and change in each
scheme and where it lost most; to the command centre and supervision, each scheme's ranking by class and
the regions against their targets. Pure: alerts of type `notice` (reason month_bulletin /
month_ranking) built from the closed document and the previous month's, queued by close-month in its own
transaction, so each recipient is told once whatever restarts. Ids name the month, never the time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from caseflow.config.units import Directory
from caseflow.contract.alert import AlertMessage, AlertType, Reason
from caseflow.domain.schemes import Scheme, term_results
from caseflow.evaluation.labels import CLASS_ZH, TERM_ZH
from caseflow.instants import iso
from caseflow_scoring.notices import notice_id

TOP, BOTTOM = 3, 2


def losses(schemes: Mapping[str, Scheme], row: Mapping[str, Any], count: int = 2) -> list[tuple[str, str, float]]:
    """The terms that cost the unit most points: (scheme name, term label, points lost), biggest first. A
    positive term loses what it falls short of its weight; a negative one what it takes away."""
    lost = []
    for sid in sorted(row.get("scores", {})):
        scheme = schemes.get(sid)
        if scheme is None or scheme.cross_month:
            continue
        for term in term_results(scheme, row, {}):
            if term.label in ("other",) or term.value is None:
                continue
            gone = term.weight - term.points if term.weight > 0 else -term.points
            if gone > 0.005:
                lost.append((scheme.name, term.label, gone))
    return sorted(lost, key=lambda x: -x[2])[:count]


def unit_bulletins(period: str, doc: Mapping[str, Any], previous: Mapping[str, Any] | None, directory: Directory,
                   schemes: Mapping[str, Scheme], now: int, link_of: Callable[[str], str]) -> list[AlertMessage]:
    out = []
    for unit in sorted(u for u in doc["units"] if u in directory.units):
        row = doc["units"][unit]
        parts = []
        for sid, mine in sorted(row.get("scores", {}).items()):
            scheme = schemes.get(sid)
            before = ((previous or {}).get("units", {}).get(unit, {}).get("scores", {}).get(sid) or {})
            rank = f"第 {mine['rank']} 名" if mine.get("rank") else "不排名"
            moved = ""
            if before.get("rank") and mine.get("rank"):
                step = before["rank"] - mine["rank"]
                moved = f"（升 {step} 名）" if step > 0 else f"（降 {-step} 名）" if step < 0 else "（名次不变）"
            parts.append(f"{scheme.name if scheme else sid} {mine['score']:.2f} 分，{rank}{moved}")
        worst = "；".join(f"{TERM_ZH.get(label, label)} 失 {gone:.2f} 分" for _, label, gone in losses(schemes, row))
        detail = f"{period} 月考核结果：" + "；".join(parts) + (f"。主要失分：{worst}" if worst else "")
        out.append(AlertMessage(notice_id("bulletin", f"{period}|{unit}", 0), AlertType.NOTICE, unit, 0, iso(now),
                                Reason.MONTH_BULLETIN, detail=detail, recipients=("unit",),
                                link=link_of(unit) or None))
    return out


def centre_bulletin(period: str, doc: Mapping[str, Any], directory: Directory, schemes: Mapping[str, Scheme],
                    now: int, link: str) -> AlertMessage:
    """One message: per scheme and class the top and bottom of the ranking, and the region listings."""
    names = {u.id: u.name for u in directory.units.values()}
    parts = []
    for sid, scheme in sorted(schemes.items()):
        rows = [(u, r["scores"][sid]) for u, r in doc["units"].items() if sid in r.get("scores", {})]
        if not rows:
            continue
        by_class: dict[int | None, list[tuple[str, dict[str, Any]]]] = {}
        for unit, score in rows:
            cls = directory.unit_class.get(unit) if scheme.rank_within == "class" else None
            by_class.setdefault(cls, []).append((unit, score))
        for cls, members in sorted(by_class.items(), key=lambda kv: kv[0] or 0):
            members.sort(key=lambda m: (m[1].get("rank") is None, m[1].get("rank") or 0, -m[1]["score"]))
            shown = members if len(members) <= TOP + BOTTOM else [*members[:TOP], *members[-BOTTOM:]]
            ranking = "、".join(f"{m[1].get('rank') or '-'}.{names.get(m[0], m[0])} {m[1]['score']:.1f}" for m in shown)
            where = f"{CLASS_ZH.get(cls, '')}" if cls else ""
            parts.append(f"{scheme.name}{where}（{len(members)} 个）：{ranking}")
    for lid, listing in sorted((doc.get("listings") or {}).items()):
        if listing.get("on") != "regions":
            continue
        statuses = [r.get("status") for r in listing.get("rows", {}).values()]
        passed = sum(1 for s in statuses if s == "pass")
        parts.append(f"{listing.get('name', lid)}：达标 {passed}/{len(statuses)}")
    return AlertMessage(notice_id("ranking", period, 0), AlertType.NOTICE, "", 0, iso(now), Reason.MONTH_RANKING,
                        detail=f"{period} 月考核排名：" + "；".join(parts),
                        recipients=("command_centre", "supervision"), link=link or None)
