"""The overdue risk of an open assignment, as scoring publishes it on `case-risks` for the boards (#35):
versioned like every message between the services, the newest `as_of` of a case winning."""

from __future__ import annotations

import msgspec

SCHEMA = "case-risk.v1"


class CaseRisk(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    case_id: str
    seq: int  # the assignment within its case
    unit: str
    p_late: float  # the chance it is disposed after its deadline (0-1)
    why: str  # the facts behind the number, in Chinese
    as_of: str  # ISO-8601 instant with offset
    schema: str = SCHEMA


_decoder = msgspec.json.Decoder(CaseRisk)


def encode(risk: CaseRisk) -> bytes:
    return msgspec.json.encode(risk)


def decode(raw: bytes | str) -> CaseRisk:
    """A case's risk from its JSON; msgspec.ValidationError or DecodeError names what is wrong."""
    risk = _decoder.decode(raw)
    if risk.schema != SCHEMA:
        raise msgspec.ValidationError(f"Expected schema {SCHEMA!r}, got {risk.schema!r} - at `$.schema`")
    if not 0.0 <= risk.p_late <= 1.0:
        raise msgspec.ValidationError(f"p_late {risk.p_late} is not a chance (0-1) - at `$.p_late`")
    return risk
