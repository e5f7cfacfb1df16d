"""msgspec models of contract v1 for the fast decoder (`fast`): the same fields and constraints as the
pydantic models in `v1`, written so that they can only be narrower (see `fast`'s docstring)."""

from __future__ import annotations

import operator
from functools import reduce
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from msgspec import Meta, Struct

from caseflow.contract.enums import Category, DurationUnit, RoadGrade, Source, SupervisionReason, Urgency, VisitResult

# Identifiers and codes are checked for control characters after decoding (see fast_parse): a regex
# per string cost three quarters of the decode.
Code = Annotated[str, Meta(min_length=1)]
UnitId = Annotated[str, Meta(min_length=1, max_length=64)]
# Hours, minutes, seconds and offsets are range-checked here: fromisoformat accepts "+08:60".
RFC3339 = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
            r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])\Z")
Instant = Annotated[str, Meta(pattern=RFC3339)]


class Data(Struct, frozen=True):
    pass


class Duration(Struct, frozen=True):
    value: Annotated[int, Meta(gt=0)] | Annotated[float, Meta(gt=0)]
    unit: DurationUnit


class ReportedData(Struct, frozen=True):
    source: Source
    category: Category
    major: Code
    minor: Code
    region: Code
    grid: Code
    road_grade: RoadGrade = "secondary"
    lon: Annotated[int, Meta(ge=-180, le=180)] | Annotated[float, Meta(ge=-180, le=180)] | None = None
    lat: Annotated[int, Meta(ge=-90, le=90)] | Annotated[float, Meta(ge=-90, le=90)] | None = None


class FiledData(Struct, frozen=True):
    urgency: Urgency = "normal"
    major: Code | None = None
    minor: Code | None = None


class UnitData(Struct, frozen=True):
    unit: UnitId


class DispatchedData(Struct, frozen=True):
    unit: UnitId
    deadline_at: Instant | None = None
    time_limit: Duration | None = None


class ExtendedData(Struct, frozen=True):
    unit: UnitId
    deadline_at: Instant | None = None
    extra: Duration | None = None
    engineering: bool = False


class SupervisedData(Struct, frozen=True):
    reason: SupervisionReason
    deadline_at: Instant | None = None


class VisitedData(Struct, frozen=True):
    result: VisitResult
    valid: bool = True


class Envelope(Struct, frozen=True, tag_field="type"):
    event_id: Annotated[str, Meta(min_length=1, max_length=128)]
    case_id: Annotated[str, Meta(min_length=1, max_length=64)]
    occurred_at: Instant


class Reported(Envelope, frozen=True, tag="reported"):
    data: ReportedData


class Verified(Envelope, frozen=True, tag="verified"):
    data: Data


class Filed(Envelope, frozen=True, tag="filed"):
    data: FiledData


class Invalidated(Envelope, frozen=True, tag="invalidated"):
    data: Data


class Dispatched(Envelope, frozen=True, tag="dispatched"):
    data: DispatchedData


class Returned(Envelope, frozen=True, tag="returned"):
    data: UnitData


class Suspended(Envelope, frozen=True, tag="suspended"):
    data: UnitData


class Resumed(Envelope, frozen=True, tag="resumed"):
    data: UnitData


class Disposed(Envelope, frozen=True, tag="disposed"):
    data: UnitData


class Extended(Envelope, frozen=True, tag="extended"):
    data: ExtendedData


class Reworked(Envelope, frozen=True, tag="reworked"):
    data: DispatchedData


class Closed(Envelope, frozen=True, tag="closed"):
    data: Data


class Supervised(Envelope, frozen=True, tag="supervised"):
    data: SupervisedData


class Visited(Envelope, frozen=True, tag="visited"):
    data: VisitedData


Wire = (
    Reported | Verified | Filed | Invalidated | Dispatched | Returned | Suspended | Resumed | Disposed
    | Extended | Reworked | Closed | Supervised | Visited
)
DECODER = msgspec.json.Decoder(Wire)


# The strict models: the same, plus the documented fields the events do not use (contract README), and
# refusing any other field. A line they accept has no field beyond these, so it is nested three deep at
# most: no need to count its brackets (see fast_parse), which cost as much as a sixth of the decode.
_UNUSED = {"reported": ("address", "description", "reporter"), "verified": ("by",), "invalidated": ("reason",),
           "returned": ("reason",), "extended": ("reason",), "suspended": ("reason",)}


def _strict_type(t: Any) -> Any:
    if isinstance(t, type) and issubclass(t, Struct):
        return _strict(t, ())
    if get_origin(t) in (Union, UnionType):
        return reduce(operator.or_, [_strict_type(arg) for arg in get_args(t)])
    return t


def _strict(cls: type[Struct], unused: tuple[str, ...]) -> type[Struct]:
    config = cls.__struct_config__
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(cls):
        kind = _strict_type(f.type) if f.name != "data" else _strict(f.type, _UNUSED.get(str(config.tag), ()))
        fields.append((f.name, kind) if f.default is msgspec.NODEFAULT else (f.name, kind, f.default))
    fields += [(name, str | None, None) for name in unused]
    return msgspec.defstruct(f"Strict{cls.__name__}", fields, module=__name__, tag_field=config.tag_field,
                             tag=config.tag, frozen=True, forbid_unknown_fields=True)


STRICT_OF = {cls: _strict(cls, ()) for cls in get_args(Wire)}
STRICT_DECODER = msgspec.json.Decoder(reduce(operator.or_, STRICT_OF.values()))
