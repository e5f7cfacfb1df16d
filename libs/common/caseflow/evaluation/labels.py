"""Indicators and classes in Chinese, as every report, page and message names them."""

from __future__ import annotations

from caseflow.contract.enums import SUPERVISION_REASON_ZH

ZH = {
    "dispatched": "派遣数", "returned": "回退数", "due": "应处置数", "disposed": "处置数",
    "on_time": "按期处置数", "late_disposed": "超期处置数", "overdue_open": "超期未处置数",
    "pending": "在办未到期数", "reworked": "返工案件数", "closed": "结案数",
    "closed_on_time": "按期结案数", "extended": "延期案件数", "suspended": "挂账数",
    "supervised": "督办数", "repeat": "重复案件数", "visits": "有效回访数", "satisfied": "满意数",
    "basically_satisfied": "基本满意数", "exempted": "核减数",
    "disposal_rate": "处置率", "on_time_rate": "按期处置率", "close_rate": "结案率",
    "on_time_close_rate": "按期结案率", "rework_rate": "返工率", "intact_rate": "完好率",
    "repeat_rate": "重复案件率", "extension_rate": "延期案件率", "satisfaction_rate": "满意率",
    "workload_ratio": "工作量比率", "reported": "上报数", "filed": "立案数",
    "collector_filing_rate": "立案率", "active_discovery_rate": "问题主动发现率",
    "resolution_rate": "问题解决率", "timely_resolution_rate": "问题及时解决率",
}
REGION_ZH = {**ZH, "on_time_rate": "问题按期处置率"}
ZH.update({f"supervised_{k}": f"督办数（{v}）" for k, v in SUPERVISION_REASON_ZH.items()})
CLASS_ZH = {1: "一类", 2: "二类", 3: "三类"}
# a scheme's term by its label (domain.schemes.TermResult.label)
TERM_ZH = {**ZH, "reworked/disposed": "返工率(返工/处置)", "other": "部门和社会评价", "steps(dispatched)": "案件数得分"}
