"""Pydantic models of contract v1 (../shared/contract/case-event.schema.json). Unknown fields are kept."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from caseflow.contract.enums import Category, DurationUnit, RoadGrade, Source, SupervisionReason, Urgency, VisitResult

# Identifiers travel into databases, logs, URLs and robot messages: no control characters (a NUL
# cannot even be stored in PostgreSQL text). The contract's schema is silent; see docs/decisions.md.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Code = Annotated[str, Field(min_length=1, pattern=PRINTABLE)]
UnitId = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
Instant = Annotated[AwareDatetime, Field(strict=True)]
Number = StrictInt | StrictFloat


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class DurationV1(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    value: Annotated[Number, Field(gt=0)]
    unit: DurationUnit


class ReportedData(_Data):
    source: Source
    category: Category
    major: Code
    minor: Code
    region: Code
    grid: Code
    road_grade: RoadGrade = "secondary"
    lon: Annotated[Number, Field(ge=-180, le=180)] | None = None
    lat: Annotated[Number, Field(ge=-90, le=90)] | None = None


class FiledData(_Data):
    urgency: Urgency = "normal"
    major: Code | None = None
    minor: Code | None = None


class UnitData(_Data):
    unit: UnitId


class DispatchedData(UnitData):
    deadline_at: Instant | None = None
    time_limit: DurationV1 | None = None


class ExtendedData(UnitData):
    deadline_at: Instant | None = None
    extra: DurationV1 | None = None
    engineering: StrictBool = False


class SupervisedData(_Data):
    reason: SupervisionReason
    deadline_at: Instant | None = None


class VisitedData(_Data):
    result: VisitResult
    valid: StrictBool = True


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    event_id: Annotated[str, Field(min_length=1, max_length=128, pattern=PRINTABLE)]
    case_id: Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
    occurred_at: Instant


class Reported(_Envelope):
    type: Literal["reported"]
    data: ReportedData


class Verified(_Envelope):
    type: Literal["verified"]
    data: _Data


class Filed(_Envelope):
    type: Literal["filed"]
    data: FiledData


class Invalidated(_Envelope):
    type: Literal["invalidated"]
    data: _Data


class Dispatched(_Envelope):
    type: Literal["dispatched"]
    data: DispatchedData


class UnitOnly(_Envelope):
    type: Literal["returned", "suspended", "resumed", "disposed"]
    data: UnitData


class Extended(_Envelope):
    type: Literal["extended"]
    data: ExtendedData


class Reworked(_Envelope):
    type: Literal["reworked"]
    data: DispatchedData


class Closed(_Envelope):
    type: Literal["closed"]
    data: _Data


class Supervised(_Envelope):
    type: Literal["supervised"]
    data: SupervisedData


class Visited(_Envelope):
    type: Literal["visited"]
    data: VisitedData


EventV1 = Annotated[
    Reported | Verified | Filed | Invalidated | Dispatched | UnitOnly | Extended | Reworked | Closed
    | Supervised | Visited,
    Field(discriminator="type"),
]
EVENT_TYPES = (
    "reported", "verified", "filed", "invalidated", "dispatched", "returned", "extended",
    "suspended", "resumed", "disposed", "reworked", "closed", "supervised", "visited",
)
