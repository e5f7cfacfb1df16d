"""The report's charts (PNG, matplotlib) and an HTML page that shows them with the tables."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; before pyplot is imported
import matplotlib.pyplot as plt
from matplotlib import font_manager

from caseflow.domain.indicator_keys import REGION_KEYS
from caseflow.replay.output import CLASS_ZH, REGION_ZH
from caseflow.replay.report_cities import html_section
from caseflow.replay.report_data import EXEMPTION_HEAD, Report, exemption_rows, region_verdict

logging.getLogger("matplotlib").setLevel(logging.WARNING)

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "SimHei", "Microsoft YaHei")
RATE_KEYS = tuple(k for k in REGION_KEYS if k.endswith("rate"))
MAX_TREND_LINES = 12


def _use_cjk_font() -> str | None:
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in available:
            plt.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            plt.rcParams["axes.unicode_minus"] = False
            return name
    return None


def ranking_chart(report: Report, out: Path) -> list[Path]:
    paths = []
    for cls, rows in report.ranking.items():
        ranked = [r for r in rows if r.rank is not None] or rows
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(ranked) + 1.5))
        labels = [f"{r.rank or '-'}. {r.name} ({r.unit})" for r in ranked]
        bars = ax.barh(labels[::-1], [r.score for r in ranked][::-1], color="#4472C4")
        ax.bar_label(bars, fmt="%.2f", padding=3, fontsize=8)
        group = CLASS_ZH.get(cls, "") if cls else "全部单位"
        ax.set_title(f"{report.name} {report.scheme.name} 排名 — {group}")
        ax.set_xlabel("得分 score")
        ax.margins(x=0.15)
        fig.tight_layout()
        path = out / f"ranking-{cls or 'all'}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def trend_chart(report: Report, out: Path) -> Path:
    months = [m for m, _ in report.trend]
    current = report.current.indicators.units
    units = sorted(current, key=lambda u: (current[u]["on_time_rate"] is None, current[u]["on_time_rate"] or 0, u))
    shown = units[:MAX_TREND_LINES]
    fig, ax = plt.subplots(figsize=(9, 5))
    for unit in shown:
        ys = [r.indicators.units.get(unit, {}).get("on_time_rate") for _, r in report.trend]
        ax.plot(range(len(months)), [float("nan") if y is None else y * 100 for y in ys], marker="o", label=unit)
    suffix = f"(按期处置率最低的 {len(shown)} 个单位)" if len(units) > len(shown) else ""
    ax.set_title(f"按期处置率趋势 on-time rate by month {suffix}")
    ax.set_xticks(range(len(months)), months)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    fig.tight_layout()
    path = out / "trend.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def region_heat(report: Report, out: Path) -> Path:
    regions = sorted(report.current.indicators.regions)
    values = [[report.current.indicators.regions[r][k] for k in RATE_KEYS] for r in regions]
    grid = [[float("nan") if v is None else float(v) for v in row] for row in values]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(regions) + 1.8))
    ax.imshow(grid, cmap="RdYlGn", vmin=0.5, vmax=1, aspect="auto")  # below 50%: as red as it gets
    ax.set_xticks(range(len(RATE_KEYS)), [REGION_ZH[k] for k in RATE_KEYS])
    ax.set_yticks(range(len(regions)), regions)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(j, i, "-" if v is None else f"{float(v):.1%}", ha="center", va="center", fontsize=9)
    ax.set_title(f"{report.name} 区域指标 region indicators")
    fig.tight_layout()
    path = out / "regions.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _cell_color(value: object, verdict: str | None) -> str:
    if not isinstance(value, int | float):
        return ""
    if verdict is not None:
        return {"pass": "background:#c6efce", "fail": "background:#ffc7ce", "trial": "background:#e7e6e6",
                "progress": "background:#fff2cc"}[verdict]
    return f"background:hsl({int(120 * float(value))},70%,80%)"


def _region_cell(value: object, verdict: str | None) -> str:
    text = f"{value:.1%}" if isinstance(value, int | float) else "-"
    label = {"trial": " 试运行", "progress": " 进度"}.get(verdict or "", "")
    return f"<td style='{_cell_color(value, verdict)}'>{text}{label}</td>"


def _title(stem: str) -> str:
    if stem.startswith("ranking-"):
        cls = stem.split("-", 1)[1]
        return f"排名图 ranking — {CLASS_ZH.get(int(cls), '') if cls.isdigit() else '全部单位'}"
    return {"trend": "按期处置率趋势 on-time rate trend", "regions": "区域指标热力表 region heat table"}.get(stem, stem)


def write_charts(report: Report, out: Path) -> list[Path]:
    """PNG charts and report.html into the folder `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    _use_cjk_font()
    pngs = [*ranking_chart(report, out), trend_chart(report, out), region_heat(report, out)]
    e = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(report.name)} 考核报告</title>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             ".wide{overflow-x:auto}img{max-width:100%;height:auto}"
             "@media (max-width:600px){body{margin:0.8em}th,td{white-space:nowrap}}"
             "td,th{border:1px solid #999;padding:4px 8px;text-align:right}th{background:#ddebf7}</style>",
             f"<h1>{e(report.name)} 数字城管考核报告 — {e(report.scheme.name)}</h1>"]
    if report.sealed:
        parts.append(f"<p class='sealed'><b>{e(report.sealed)}</b></p>")
    for cls, rows in report.ranking.items():
        parts.append(f"<h2>排名 {e(CLASS_ZH.get(cls, '') if cls else '全部单位')}</h2><table><tr><th>排名</th>"
                     "<th>单位</th><th>名称</th><th>得分</th></tr>")
        parts += [f"<tr><td>{r.rank or '-'}</td><td>{e(r.unit)}</td><td>{e(r.name)}</td><td>{r.score:.2f}</td></tr>"
                  for r in rows]
        parts.append("</table>")
    parts.append("<h2>区域指标 regions</h2><div class='wide'><table><tr><th>区域</th>"
                 + "".join(f"<th>{e(REGION_ZH[k])}</th>" for k in RATE_KEYS) + "</tr>")
    for region, row in sorted(report.current.indicators.regions.items()):
        cells = "".join(_region_cell(row[k], region_verdict(report.current, region, k)) for k in RATE_KEYS)
        parts.append(f"<tr><td>{e(region)}</td>{cells}</tr>")
    parts.append("</table></div>")
    if report.cities:
        parts.append(html_section(report.cities))
    parts += [f"<h2>{e(_title(p.stem))}</h2><img src='{e(p.name)}' alt='{e(p.stem)}'>" for p in pngs]
    if report.applied:
        parts.append("<h2>核减 exemptions</h2><p>只有已批准的核减计入指标。</p><div class='wide'><table><tr>"
                     + "".join(f"<th>{e(h)}</th>" for h in EXEMPTION_HEAD) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>" for row in exemption_rows(report)]
        parts.append("</table></div>")
    page = out / "report.html"
    page.write_text("\n".join(parts), "utf-8")
    return [*pngs, page]
