"""A rejected event: the reason code and a sentence for the dead-letter record."""

from __future__ import annotations

from msgspec import Struct

from caseflow.domain.events import CaseEvent


class Rejection(Struct, frozen=True, gc=False):
    event_id: str
    case_id: str
    at: int
    reason: str
    detail: str = ""


def reject(event: CaseEvent, reason: str, detail: str) -> Rejection:
    return Rejection(event.event_id, event.case_id, event.at, reason, detail)
