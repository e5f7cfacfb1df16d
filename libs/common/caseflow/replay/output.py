"""Render a replay result: canonical JSON (rules §9), a human table, or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from caseflow.config.units import Directory
from caseflow.domain.indicator_keys import REGION_KEYS, UNIT_COUNTS, UNIT_RATES
from caseflow.evaluation.document import Applied, Assessed, InvalidLine, Refused, period_document
from caseflow.evaluation.evaluate import Numbers
from caseflow.evaluation.labels import CLASS_ZH, REGION_ZH, ZH
from caseflow.replay.engine import ReplayResult


def as_document(result: ReplayResult, assessed: Assessed | None = None,
                unit_class: Mapping[str, int] | None = None, applied: Iterable[Applied] | None = None
                ) -> dict[str, Any]:
    """The replay's period document (evaluation.document), with each template given in `assessed` (None:
    no `assessments` part) and the exemption applications `applied` (None: no `exemptions` part)."""
    refused = (Refused(r.event_id, r.case_id, r.at, r.reason, r.detail) for r in result.rejected)
    invalid = (InvalidLine(inv.event_id, inv.case_id, seq + 1, inv.describe()) for seq, inv in result.invalid)
    return period_document(result.period, Numbers(result.indicators, result.scores, result.listings), refused,
                           invalid, assessed, unit_class, applied)


def to_json(result: ReplayResult) -> bytes:
    return orjson.dumps(as_document(result), option=orjson.OPT_INDENT_2) + b"\n"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def to_table(result: ReplayResult, directory: Directory) -> str:
    doc = as_document(result)
    out = io.StringIO()
    p = doc["period"]
    out.write(f"考核周期 period {p['start']} .. {p['end']}  统计截止 as-of {p['as_of']}\n\n")
    cols = ["dispatched", "due", "disposed", "on_time", "overdue_open", "pending"]
    head = ["单位 unit", "名称 name"] + [f"{ZH[c]} {c}" for c in cols] + [
        "按期处置率 on_time_rate", "暂行办法 county-interim", "肃宁 suning-2011", "部门综合 standard"]
    by_class: dict[Any, list[str]] = {}
    for unit in doc["units"]:
        known = directory.units.get(unit)
        by_class.setdefault(known.unit_class if known else None, []).append(unit)
    for cls in sorted(by_class, key=lambda c: (c is None, c)):
        label = CLASS_ZH.get(cls, "未配置 unconfigured") if cls else "未配置 unconfigured"
        out.write(f"== {label} class {cls or '-'} ==\n")
        rows = []
        units = by_class[cls]
        units.sort(key=lambda u: (doc["units"][u]["scores"].get("county-interim", {}).get("rank") or 10**9, u))
        for unit in units:
            e = doc["units"][unit]
            s = e["scores"]
            known = directory.units.get(unit)
            rows.append([unit, known.name if known else "?"] + [_fmt(e[c]) for c in cols] + [
                _pct(e["on_time_rate"]),
                _score(s.get("county-interim")), _score(s.get("suning-2011")), _score(s.get("standard-department")),
            ])
        out.write(_grid(head, rows))
        out.write("\n")
    out.write("== 区域 regions ==\n")
    rhead = ["区域 region"] + [f"{REGION_ZH[k]} {k}" for k in REGION_KEYS]
    rrows = [[r] + [(_pct(v) if k.endswith("rate") else _fmt(v)) for k, v in row.items()]
             for r, row in doc["regions"].items()]
    out.write(_grid(rhead, rrows))
    for scheme_id, listing in doc["listings"].items():
        out.write(f"\n== 名单 listing {scheme_id} {listing['name']} ==\n")
        first: dict[str, Any] = next(iter(listing["rows"].values()), {})
        keys = list(first.get("indicators", {}))
        names = ZH if listing["on"] == "units" else REGION_ZH
        lhead = [("单位 unit" if listing["on"] == "units" else "区域 region"), *(f"{names[k]} {k}" for k in keys),
                 "结论 status"]
        lrows = [[place, *(_listed(row["indicators"][k]) for k in keys), STATUS_ZH.get(row["status"], "-")]
                 for place, row in listing["rows"].items()]
        out.write(_grid(lhead, lrows))
    out.write(f"\n拒收事件 rejected events: {len(doc['rejected'])}\n")
    return out.getvalue()


STATUS_ZH: dict[str | None, str] = {"pass": "达标 pass", "fail": "未达标 fail", "trial": "试运行 trial",
                                    "progress": "进度 progress"}


def _listed(item: dict[str, Any]) -> str:
    value = item["value"]
    text = _pct(value) if isinstance(value, float) else _fmt(value)
    if "target" in item:
        text += f" (≥{item['target'] * 100:.0f}%)"
    return text


def _score(s: dict[str, Any] | None) -> str:
    if not s:
        return "-"
    text = f"{s['score']:.2f}"
    if s.get("grade"):
        text += f" {s['grade']}"
    return text + (f" #{s['rank']}" if s.get("rank") else " (未排名)")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _grid(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = []
    for row in [head, *rows]:
        lines.append("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)))
        if row is head:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def to_csv(result: ReplayResult) -> str:
    doc = as_document(result)
    schemes = sorted(result.scores)
    out = io.StringIO()
    writer = csv.writer(out)
    score_cols = [f"{s}.{k}" for s in schemes for k in ("score", "rank", "grade")]
    writer.writerow(["unit", *UNIT_COUNTS, *UNIT_RATES, *score_cols])
    for unit, e in doc["units"].items():
        scores = [e["scores"][s].get(k) for s in schemes for k in ("score", "rank", "grade")]
        writer.writerow([unit] + [e[k] for k in (*UNIT_COUNTS, *UNIT_RATES)] + ["" if v is None else v for v in scores])
    return out.getvalue()
