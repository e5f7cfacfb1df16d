"""The two models of contract v1 agree, field by field: pydantic's (`v1`, the contract, which writes every
error) and msgspec's (`fast_wire`, the fast decoder's). Per event type: the same data fields, the same
required ones, the same defaults, the same allowed values for enumerated fields, and nested models
(durations) likewise. A field added to one and not the other fails here."""

from __future__ import annotations

import typing
from typing import Any, Literal, get_args, get_origin

import msgspec
import pytest
from pydantic import BaseModel

from caseflow.contract import fast_wire, v1


def _pydantic_models() -> dict[str, type[BaseModel]]:
    union = get_args(v1.EventV1)[0]
    out = {}
    for model in get_args(union):
        for kind in get_args(model.model_fields["type"].annotation):
            out[kind] = model
    return out


def _msgspec_models() -> dict[str, type[msgspec.Struct]]:
    return {str(cls.__struct_config__.tag): cls for cls in get_args(fast_wire.Wire)}


def _literals(annotation: Any) -> set[Any] | None:
    """The allowed values of an enumerated field (through Optional/Annotated), else None."""
    found: set[Any] = set()
    stack = [annotation]
    while stack:
        t = stack.pop()
        if get_origin(t) is Literal:
            found |= set(get_args(t))
        elif get_origin(t) is not None:
            stack += list(get_args(t))
    return found or None


def _nested(annotation: Any, base: type) -> type | None:
    for t in [annotation, *[a for arg in get_args(annotation) for a in [arg, *get_args(arg)]]]:
        if isinstance(t, type) and issubclass(t, base):
            return t
    return None


def _pydantic_fields(model: type[BaseModel]) -> dict[str, tuple[bool, Any, Any]]:
    return {name: (f.is_required(), None if f.is_required() else f.default, f.annotation)
            for name, f in model.model_fields.items()}


def _msgspec_fields(cls: type[msgspec.Struct]) -> dict[str, tuple[bool, Any, Any]]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: (f.required, None if f.required else f.default, hints[f.name])
            for f in msgspec.structs.fields(cls)}


def _compare(left: type[BaseModel], right: type[msgspec.Struct], where: str) -> None:
    ours, theirs = _pydantic_fields(left), _msgspec_fields(right)
    assert ours.keys() == theirs.keys(), f"{where}: fields differ: {ours.keys() ^ theirs.keys()}"
    for name, (required, default, annotation) in ours.items():
        other_required, other_default, other_annotation = theirs[name]
        assert required == other_required, f"{where}.{name}: required in one model only"
        assert default == other_default, f"{where}.{name}: defaults {default!r} vs {other_default!r}"
        assert _literals(annotation) == _literals(other_annotation), f"{where}.{name}: allowed values differ"
        inner, other_inner = _nested(annotation, BaseModel), _nested(other_annotation, msgspec.Struct)
        assert (inner is None) == (other_inner is None), f"{where}.{name}: nested in one model only"
        if inner is not None and other_inner is not None:
            _compare(inner, other_inner, f"{where}.{name}")


def test_every_event_type_has_both_models() -> None:
    assert set(_pydantic_models()) == set(_msgspec_models()) == set(v1.EVENT_TYPES)


@pytest.mark.parametrize("kind", v1.EVENT_TYPES)
def test_the_models_agree_field_by_field(kind: str) -> None:
    left, right = _pydantic_models()[kind], _msgspec_models()[kind]
    envelope = {"event_id", "case_id", "occurred_at"}
    assert envelope <= left.model_fields.keys() and envelope <= {f.name for f in msgspec.structs.fields(right)}
    data_left = left.model_fields["data"].annotation
    data_right = typing.get_type_hints(right)["data"]
    _compare(data_left, data_right, kind)


def test_the_supervision_reasons_counted_and_named_are_the_contracts() -> None:
    from caseflow.contract.enums import SUPERVISION_REASON_ZH, SupervisionReason
    from caseflow.domain.indicator_keys import SUPERVISION_REASONS

    assert set(SUPERVISION_REASONS) == set(get_args(SupervisionReason)) == set(SUPERVISION_REASON_ZH)
