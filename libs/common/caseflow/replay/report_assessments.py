"""The workbook's assessment sheets, one per template: each unit or region ranked by its total, every
item with its maximum and its points, and under an item each record (finding, grade, bonus) with its
deduction, status, whether it counts, its evidence and its files' hashes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from caseflow.domain.assessment import Template
from caseflow.evaluation.assessments import ranked_rows

HEAD = ["排名 rank", "对象 subject", "名称 name", "章节 section", "项目 item", "满分 max", "得分 points",
        "记录 record", "类型 kind", "扣分项 deduction", "次数 occurrences", "记录分值 record points", "状态 status",
        "计入 counts", "证据 evidence", "附件 files (sha256)", "申诉 appeal"]
KIND_ZH = {"finding": "扣分 finding", "grade": "评分 grade", "bonus": "加分 bonus"}
STATUS_ZH = {"draft": "草稿 draft", "submitted": "已提交 submitted", "verified": "已核实 verified",
             "approved": "已批准 approved", "withdrawn": "已撤回 withdrawn"}
WIDTHS = {"D": 14, "E": 34, "J": 28, "O": 40, "P": 74}
APPEAL_ZH = {"open": "申诉中 open", "upheld": "维持 upheld", "reversed": "撤销扣分 reversed"}


def _record_row(record_id: str, record: Mapping[str, Any], deductions: Mapping[str, str]) -> list[Any]:
    appeal = record.get("appeal")
    return [record_id, KIND_ZH.get(record["kind"], record["kind"]),
            deductions.get(record["deduction"], record["deduction"]) if record["deduction"] else "",
            record["occurrences"] if record["kind"] == "finding" else "", record["points"],
            STATUS_ZH.get(record["status"], record["status"]), "是 yes" if record["counts"] else "否 no",
            record["evidence"], " ".join(record["files"]),
            APPEAL_ZH.get(appeal["status"], appeal["status"]) if appeal else ""]


def sheet_rows(template: Template, part: Mapping[str, Any], names: Mapping[str, str],
               unit_class: Mapping[str, int] | None = None) -> list[list[Any]]:
    """The rows of one template's sheet (a total row per subject in rank order, then its items and their
    records)."""
    by_item: dict[tuple[str, str], list[tuple[str, Mapping[str, Any]]]] = {}
    for record_id, record in part["records"].items():
        by_item.setdefault((record["subject"], record["item"]), []).append((record_id, record))
    full = sum(i.points for s in template.sections for i in s.items if i.scoring != "bonus")
    rows: list[list[Any]] = []
    for row in ranked_rows(part, names, unit_class or {}):
        subject, name, scored = row["subject"], row["name"], part["totals"][row["subject"]]
        bonus = f"附加分 bonus {scored['bonus']:g}"
        rows.append([row["rank"], subject, name, "合计 total", bonus, full, scored["total"]])
        for section in template.sections:
            for item in section.items:
                rows.append(["", subject, name, section.name, f"{item.name} ({item.id})", item.points,
                             scored["items"].get(item.id)])
                deductions = {d.id: d.label for d in item.deductions}
                for record_id, record in by_item.get((subject, item.id), []):
                    rows.append(["", subject, name, "", "", None, None, *_record_row(record_id, record, deductions)])
    return rows


def add_assessment_sheets(wb: Workbook, assessments: Mapping[str, tuple[Template, Mapping[str, Any]]],
                          names: Mapping[str, str], unit_class: Mapping[str, int], sheet: Any) -> None:
    """`sheet(wb, title, head, rows, formats, note)`: the workbook's own sheet writer."""
    for template_id, (template, part) in sorted(assessments.items()):
        ws = sheet(wb, f"考核 {template_id}"[:31], HEAD, sheet_rows(template, part, names, unit_class),
                   [None, None, None, None, None, "0.##", "0.##", None, None, None, "0", "0.##"],
                   note=f"{template.id}: {template.source or template.name}")
        for column, width in WIDTHS.items():  # names, evidence and hashes are longer than their headers
            ws.column_dimensions[column].width = width
        for row in ws.iter_rows(min_row=3):
            if row[3].value == "合计 total":
                for cell in row:
                    cell.font = Font(bold=True)
