"""The alert contract as a pydantic model: its JSON Schema (`GET /v1/schemas/alert` in notify, for
receivers of webhooks) and the second reading the parity test holds msgspec's decoding to."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from caseflow.contract.alert import AlertType, Reason, Recipient


class CaseFactsModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    description: str = ""
    address: str = ""
    category: str = ""
    major: str = ""
    minor: str = ""
    region: str = ""
    grid: str = ""
    supervision_reason: str = ""


class AlertModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, populate_by_name=True)

    alert_id: str
    type: AlertType
    unit: str
    level: int
    due_at: str
    reason: Reason
    schema_: Literal["alert.v1"] = Field("alert.v1", alias="schema")
    case_id: str = ""
    assignment: int = -1
    reminder: int = 0
    recipients: tuple[Recipient, ...] = ("unit",)
    detail: str = ""
    case: CaseFactsModel = CaseFactsModel()
    deadline: str | None = None
    limit_kind: Literal["working", "calendar"] | None = None
    deadline_of: Literal["assignment", "supervision"] | None = None
    raised_at: str | None = None
    escalated_from: str | None = None
    receiver: str | None = None
    redelivery: bool = False
    link: str | None = None
