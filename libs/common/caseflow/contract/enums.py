"""The value sets contract v1 enumerates, shared by the pydantic models (`v1`) and the fast decoder
(`fast_wire`) so that both accept exactly the same words."""

from __future__ import annotations

from typing import Literal

DurationUnit = Literal["working_hours", "working_days", "hours"]
Source = Literal["collector", "video", "public", "supervision", "leader", "media", "self"]
Category = Literal["event", "component"]
RoadGrade = Literal["primary", "secondary", "backstreet", "key_area"]
Urgency = Literal["normal", "urgent"]
SupervisionReason = Literal[
    "leader_instruction", "discipline", "higher_level", "media", "major_impact", "major_event", "other"
]
VisitResult = Literal["satisfied", "basically_satisfied", "unsatisfied"]

# What operators call each 督办 reason (alerts, reports).
SUPERVISION_REASON_ZH = {
    "leader_instruction": "领导批示", "discipline": "纪律督办", "higher_level": "上级交办", "media": "媒体曝光",
    "major_impact": "影响较大", "major_event": "重大事件", "other": "其他",
}
