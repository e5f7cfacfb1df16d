"""What a what-if shows (`caseflow whatif` and scoring's /whatif page): a text table, the JSON, and the page
for operators (a slope graph of each changed scheme's ranks, adopted on the left, draft on the right, and
every unit's scores and terms). Every name from a units file or a draft is escaped."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from caseflow.evaluation.labels import CLASS_ZH, TERM_ZH
from caseflow.evaluation.whatif import SchemeComparison, UnitMove

STATUS_ZH = {"same": "未改动", "changed": "已修改", "new": "新增", "removed": "删除"}


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _change(m: UnitMove) -> str:
    c = m.rank_change
    return "—" if c is None else "→" if c == 0 else f"↑{c}" if c > 0 else f"↓{-c}"


def _why(m: UnitMove) -> str:
    """The term that moved the unit against the others, and by how many points."""
    return f"{TERM_ZH.get(m.why, m.why)} {m.why_points:+.2f} 分" if m.why else "—"


def as_json(period: str, found: list[SchemeComparison], names: Mapping[str, str], sealed: str) -> dict[str, Any]:
    return {"period": period, "closed": sealed or None, "schemes": [{
        "id": c.id, "name": c.name, "status": c.status, "rank_within": c.rank_within,
        "units": [{"unit": m.unit, "name": names.get(m.unit, m.unit), "class": m.unit_class,
                   "adopted": {"score": m.adopted, "rank": m.adopted_rank},
                   "draft": {"score": m.draft, "rank": m.draft_rank}, "rank_change": m.rank_change, "why": m.why,
                   "why_points": round(m.why_points, 4),
                   "terms": [{"term": t.label, "adopted": t.adopted, "draft": t.draft} for t in m.terms]}
                  for m in c.units],
        "most_moved": [m.unit for m in c.movers[:5]]} for c in found]}


def table(found: list[SchemeComparison], names: Mapping[str, str]) -> str:
    lines = []
    for c in found:
        lines.append(f"{c.id} ({c.name}): {STATUS_ZH[c.status]}")
        if c.status == "same":
            continue
        lines.append(f"  {'unit':<12} {'adopted':>8} {'rank':>5} {'draft':>8} {'rank':>5} {'change':>6}  moved by")
        for m in c.units:
            lines.append(f"  {m.unit:<12} {_num(m.adopted):>8} {m.adopted_rank or '-':>5} {_num(m.draft):>8} "
                         f"{m.draft_rank or '-':>5} {_change(m):>6}  {_why(m)}")
    return "\n".join(lines) + "\n"


def slope_graph(c: SchemeComparison, names: Mapping[str, str]) -> str:
    """An SVG: each ranked unit a line from its adopted rank (left) to its draft rank (right)."""
    ranked = [m for m in c.units if m.adopted_rank is not None and m.draft_rank is not None]
    if not ranked:
        return ""
    if c.rank_within == "class":  # one column pair per class would crowd a phone: number within class
        ranked = sorted(ranked, key=lambda m: (m.unit_class or 0, m.adopted_rank or 0))
    rows = max(max(m.adopted_rank or 0, m.draft_rank or 0) for m in ranked)
    step, top, width = 22, 30, 420
    height = top + step * rows + 10
    e = html.escape
    parts = [f"<svg viewBox='0 0 {width} {height}' width='100%' role='img' aria-label='{e(c.name)} 名次变化'>",
             "<text x='100' y='16' text-anchor='middle' font-size='13'>现行</text>",
             f"<text x='{width - 100}' y='16' text-anchor='middle' font-size='13'>草案</text>"]
    for m in ranked:
        y1, y2 = top + step * ((m.adopted_rank or 1) - 1), top + step * ((m.draft_rank or 1) - 1)
        moved = (m.rank_change or 0) != 0
        colour = "#d83931" if (m.rank_change or 0) < 0 else "#2ea121" if moved else "#a0a4aa"
        label = e(names.get(m.unit, m.unit)) + (f"（{CLASS_ZH.get(m.unit_class or 0, '')}）"
                                                 if c.rank_within == "class" else "")
        parts += [f"<line x1='150' y1='{y1 + 4}' x2='{width - 150}' y2='{y2 + 4}' stroke='{colour}' "
                  f"stroke-width='{2.5 if moved else 1}'/>",
                  f"<text x='144' y='{y1 + 8}' text-anchor='end' font-size='12'>{m.adopted_rank} {label}</text>",
                  f"<text x='{width - 144}' y='{y2 + 8}' font-size='12'>{m.draft_rank} {label}</text>"]
    return "".join(parts) + "</svg>"


STYLE = ("<style>body{font-family:sans-serif;margin:1.5em;color:#1f2329}table{border-collapse:collapse;font-size:13px}"
         "td,th{border:1px solid #d0d3d6;padding:3px 7px;text-align:right}th{background:#eef3fb}"
         "td:first-child,th:first-child{text-align:left}.up{color:#2ea121}.down{color:#d83931}"
         ".wide{overflow-x:auto}.muted{color:#646a73;font-size:13px}svg{max-width:520px}"
         "@media (max-width:600px){body{margin:0.8em}th,td{white-space:nowrap}h1{font-size:22px}}</style>")


def result_html(period: str, found: list[SchemeComparison], names: Mapping[str, str], sealed: str) -> str:
    """The comparison: a heading, then per scheme its movers, slope graph and table."""
    e = html.escape
    parts = [f"<h1>{e(period)} 规则草案试算（现行 vs 草案）</h1>",
             "<p class='muted'>同一期间、同一批案件，分别按现行办法与草案计分；名次变化与变化最大的指标项。"
             + (f" 本月已封存：{e(sealed)}" if sealed else "") + "</p>"]
    for c in found:
        parts.append(f"<h2>{e(c.name)} <span class='muted'>{e(c.id)} · {STATUS_ZH[c.status]}</span></h2>")
        if c.status == "same":
            parts.append("<p class='muted'>草案未改动此办法：得分与名次不变。</p>")
            continue
        movers = c.movers[:5]
        if movers:
            parts.append("<p>变动最大：" + "；".join(
                f"{e(names.get(m.unit, m.unit))} {_change(m)}（{e(_why(m))}）"
                for m in movers) + "</p>")
        parts.append(slope_graph(c, names))
        parts.append("<div class='wide'><table><tr><th>单位</th><th>类别</th><th>现行得分</th><th>现行名次</th>"
                     "<th>草案得分</th><th>草案名次</th><th>变化</th><th>主要原因</th></tr>")
        for m in c.units:
            cls = "up" if (m.rank_change or 0) > 0 else "down" if (m.rank_change or 0) < 0 else ""
            parts.append(f"<tr><td>{e(names.get(m.unit, m.unit))}</td>"
                         f"<td>{e(CLASS_ZH.get(m.unit_class or 0, '—'))}</td>"
                         f"<td>{_num(m.adopted)}</td><td>{m.adopted_rank or '—'}</td><td>{_num(m.draft)}</td>"
                         f"<td>{m.draft_rank or '—'}</td><td class='{cls}'>{_change(m)}</td>"
                         f"<td>{e(_why(m))}</td></tr>")
        parts.append("</table></div>")
    return "\n".join(parts)


def page_html(period: str, found: list[SchemeComparison], names: Mapping[str, str], sealed: str) -> str:
    """The comparison as a page of its own (the file `caseflow whatif --out` writes)."""
    return "\n".join(["<!doctype html><meta charset='utf-8'>",
                      "<meta name='viewport' content='width=device-width, initial-scale=1'>",
                      f"<title>{html.escape(period)} 规则草案试算</title>", STYLE,
                      result_html(period, found, names, sealed)])
