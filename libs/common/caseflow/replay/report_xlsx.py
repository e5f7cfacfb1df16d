"""The report's workbook (openpyxl): ranking with every term, indicators, regions against targets,
环比/同比, the month-by-month trend, overdue and reworked cases, a sheet per assessment template.
Chinese headers, number formats, frozen header rows."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from caseflow.domain.assessment import Template
from caseflow.domain.indicator_keys import REGION_KEYS, UNIT_COUNTS, UNIT_RATES
from caseflow.evaluation.labels import CLASS_ZH, REGION_ZH, TERM_ZH, ZH
from caseflow.instants import iso
from caseflow.replay.report_assessments import add_assessment_sheets
from caseflow.replay.report_cities import HEAD as CITY_HEAD
from caseflow.replay.report_cities import city_region_rows, unsigned
from caseflow.replay.report_data import EXEMPTION_HEAD, Report, change, exemption_rows, region_verdict

PCT, SCORE, INT = "0.00%", "0.00", "0"
HEAD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
PASS_FILL, FAIL_FILL = PatternFill("solid", fgColor="C6EFCE"), PatternFill("solid", fgColor="FFC7CE")
VERDICT_ZH = {"pass": "达标 pass", "fail": "未达标 fail", "trial": "试运行 trial", "progress": "进度 progress",
              None: "-"}


def _label(key: str) -> str:
    return TERM_ZH.get(key) or f"{ZH.get(key, key)}"


def _sheet(wb: Workbook, title: str, head: list[str], rows: list[list[Any]], formats: list[str | None],
           note: str = "") -> Worksheet:
    ws = wb.create_sheet(title)
    first = 1
    if note:
        ws.cell(1, 1, note).font = Font(italic=True)
        first = 2
    for col, text in enumerate(head, start=1):
        cell = ws.cell(first, col, text)
        cell.font, cell.fill = HEAD, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for r, row in enumerate(rows, start=first + 1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c, value)
            fmt = formats[c - 1] if c - 1 < len(formats) else None
            if fmt and isinstance(value, int | float):
                cell.number_format = fmt
    ws.freeze_panes = ws.cell(first + 1, 3 if len(head) > 3 else 2)
    for c, text in enumerate(head, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(28, len(text) * 1.6))
    return ws


def _ranking(wb: Workbook, report: Report) -> None:
    scheme = report.scheme
    labels = [t.label for t in next(iter(next(iter(report.ranking.values())))).terms] if report.ranking else []
    head = ["类别 class", "排名 rank", "单位 unit", "名称 name"]
    for label in labels:
        head += [f"{_label(label)} {label}", "权重 weight", "得分 points"]
    head += ["总分 score", *(["等级 grade"] if scheme.grades else []), "缺项 missing"]
    rows: list[list[Any]] = []
    formats: list[str | None] = [None, INT, None, None]
    for label in labels:
        formats += [INT if label.startswith("steps") else PCT, SCORE, SCORE]
    formats += [SCORE]
    for cls, members in report.ranking.items():
        for r in members:
            row: list[Any] = [CLASS_ZH.get(cls, "全部 all") if cls else "全部 all", r.rank, r.unit, r.name]
            for t in r.terms:
                row += [t.value, t.weight, t.points]
            row += [r.score, *([r.grade] if scheme.grades else []), ", ".join(r.missing)]
            rows.append(row)
    note = (f"{scheme.name} ({scheme.id}) {report.name} 排名 ranking "
            f"{'按类别 within class' if scheme.rank_within == 'class' else '全部单位 across all units'}; "
            "应处置数为0的单位不参与排名 (units with due = 0 are not ranked)")
    _sheet(wb, "排名 ranking", head, rows, formats, note)


def _indicators(wb: Workbook, report: Report) -> None:
    keys = (*UNIT_COUNTS, *UNIT_RATES)
    head = ["单位 unit", "类别 class", *(f"{ZH[k]} {k}" for k in keys)]
    units = report.current.indicators.units
    rows = [[u, CLASS_ZH.get(report.unit_class.get(u, 0), "-"), *(units[u][k] for k in keys)] for u in sorted(units)]
    _sheet(wb, "指标 indicators", head, rows, [None, None, *([INT] * len(UNIT_COUNTS)), *([PCT] * len(UNIT_RATES))])


def _regions(wb: Workbook, report: Report) -> None:
    targets = report.region_targets
    head = ["区域 region", *(f"{REGION_ZH[k]} {k}" for k in REGION_KEYS)]
    head += [f"{ZH[k]} 目标 target ≥{v:.0%}" for k, v in targets.items()]
    rows = []
    for region, row in sorted(report.current.indicators.regions.items()):
        verdicts = [VERDICT_ZH[region_verdict(report.current, region, k)] for k in targets]
        rows.append([region, *(row[k] for k in REGION_KEYS), *verdicts])
    ws = _sheet(wb, "区域 regions", head, rows, [None, INT, INT, PCT, PCT, PCT, PCT, PCT])
    for r in range(2, len(rows) + 2):
        for c in range(len(REGION_KEYS) + 2, len(head) + 1):
            text = str(ws.cell(r, c).value)
            if text.startswith(("达标", "未达标")):
                ws.cell(r, c).fill = PASS_FILL if text.startswith("达标") else FAIL_FILL


def _changes(wb: Workbook, report: Report) -> None:
    keys = ("due", "disposed", "on_time", "disposal_rate", "on_time_rate", "rework_rate")
    labels = report.periods.labels
    yearly = report.periods.kind == "year"  # the year before is both 环比 and 同比: shown once
    head = ["单位 unit", "指标 indicator", labels["now"], labels["previous"], "环比 MoM"]
    head += [] if yearly else [labels["last_year"], "同比 YoY"]
    rows = []
    now, prev, last = (r.indicators.units for r in (report.current, report.previous, report.last_year))
    for unit in sorted(now):
        for k in keys:
            a, b, c = now[unit][k], prev.get(unit, {}).get(k), last.get(unit, {}).get(k)
            rows.append([unit, f"{ZH[k]} {k}", a, b, change(a, b)] + ([] if yearly else [c, change(a, c)]))
    ws = _sheet(wb, "环比同比 changes", head, rows, [None, None], "率的环比/同比为百分点差 (rate changes in points)")
    for r, row in enumerate(rows, start=3):
        number = PCT if str(row[1]).endswith(("rate", "ratio")) else INT
        for c in range(3, len(head) + 1):
            ws.cell(r, c).number_format = number


def _trend(wb: Workbook, report: Report) -> None:
    """Month by month, per unit: the counts and rates the scheme reads, and its score."""
    keys = ("due", "disposed", "disposal_rate", "on_time_rate")
    months = [m for m, _ in report.trend]
    head = ["单位 unit", "指标 indicator", *months]
    rows = []
    for unit in sorted(report.current.indicators.units):
        for k in keys:
            rows.append([unit, f"{ZH[k]} {k}", *(r.indicators.units.get(unit, {}).get(k) for _, r in report.trend)])
        scores = [r.scores.get(report.scheme.id, {}).get(unit, {}).get("score") for _, r in report.trend]
        rows.append([unit, f"得分 score {report.scheme.id}", *scores])
    ws = _sheet(wb, "趋势 trend", head, rows, [None, None], "逐月 month by month")
    for r, row in enumerate(rows, start=3):
        label = str(row[1])
        number = PCT if label.endswith("rate") else (SCORE if label.startswith("得分") else INT)
        for c in range(3, len(head) + 1):
            ws.cell(r, c).number_format = number


def _cases(wb: Workbook, title: str, lines: list[Any]) -> None:
    head = ["单位 unit", "案件 case", "派遣序号 assignment", "派遣时间 dispatched", "处置时限 deadline",
            "处置时间 disposed", "状态 status", "返工次数 reworks"]
    rows = [[c.unit, c.case_id, c.assignment, iso(c.dispatched_at), iso(c.deadline),
             iso(c.disposed_at) if c.disposed_at else "", c.status, c.reworks] for c in lines]
    _sheet(wb, title, head, rows, [None, None, INT, None, None, None, None, INT])


def write_workbook(report: Report, out: Path, about: dict[str, str],
                   assessments: Mapping[str, tuple[Template, Mapping[str, Any]]] | None = None,
                   names: Mapping[str, str] | None = None, unit_class: Mapping[str, int] | None = None) -> None:
    """`assessments`: template id -> (template, the period document's part for it), a sheet each;
    `names`, `unit_class`: the units' and regions' names, the units' classes."""
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    _ranking(wb, report)
    _indicators(wb, report)
    _regions(wb, report)
    if report.cities:
        missing = unsigned(report.cities)
        _sheet(wb, "各市辖区 city regions", CITY_HEAD, city_region_rows(report.cities),
               [None, None, INT, INT, PCT, PCT, PCT, PCT, PCT, None, None],
               "按各市签发的月度结果 (as each city signed its month)"
               + (f"；尚未报送：{'、'.join(missing)}" if missing else ""))
    _changes(wb, report)
    _trend(wb, report)
    _cases(wb, "超期案件 overdue", report.overdue)
    _cases(wb, "返工案件 reworked", report.reworked)
    add_assessment_sheets(wb, assessments or {}, names or {}, unit_class or {}, _sheet)
    if report.applied:
        _sheet(wb, "核减 exemptions", EXEMPTION_HEAD, exemption_rows(report), [None] * len(EXEMPTION_HEAD),
               "每一条核减申请及其审核结果；只有已批准的计入指标 (rules §4a)")
    _sheet(wb, "说明 about", ["项目 item", "内容 value"], [[k, v] for k, v in about.items()], [None, None])
    wb.save(out)
