"""Case snapshots: the internal message dispatch publishes for scoring (JSON, versioned per case)."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from caseflow.domain.state import Assignment, CaseState, Supervision, Visit

SCHEMA = "case-snapshot.v1"


def encode(state: CaseState, version: int, facts: dict[str, str] | None = None) -> bytes:
    """`facts` (contract.facts) ride beside the state for alerts; decoding the state ignores them."""
    # msgspec writes the state's frozen records field by field, compact, as orjson wrote them before.
    message: dict[str, object] = {"schema": SCHEMA, "version": version, "case": state}
    if facts:
        message["facts"] = facts
    return msgspec.json.encode(message)


def decode_case(body: dict[str, Any]) -> CaseState:
    assignments = tuple(
        Assignment(
            **{**a,
               "deadlines": tuple(tuple(x) for x in a["deadlines"]),
               "disposals": tuple(tuple(x) for x in a["disposals"]),
               "suspensions": tuple(tuple(x) for x in a["suspensions"]),
               "extensions": tuple(tuple(x) for x in a["extensions"])}
        )
        for a in body["assignments"]
    )
    return CaseState(
        **{**body,
           "assignments": assignments,
           "supervisions": tuple(_supervision(x) for x in body["supervisions"]),
           "visits": tuple(Visit(**v) for v in body["visits"])}
    )


def _supervision(raw: Any) -> Supervision:
    """Snapshots written before 督办 orders kept their reason held only the instant."""
    return Supervision(raw) if isinstance(raw, int) else Supervision(**raw)


def decode(raw: bytes) -> tuple[int, CaseState]:
    message = orjson.loads(raw)
    if message.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} message: schema={message.get('schema')!r}")
    return int(message["version"]), decode_case(message["case"])


def last_event_at(state: CaseState) -> int:
    instants = [state.reported_at, *(v.at for v in state.visits), *(s.at for s in state.supervisions)]
    for at in (state.filed_at, state.invalidated_at, state.closed_at):
        if at is not None:
            instants.append(at)
    for a in state.assignments:
        instants += [a.dispatched_at, *(d for d, _ in a.deadlines), *(d for d, _ in a.disposals),
                     *(s for s, _ in a.suspensions), *(e for e, _ in a.extensions)]
        instants += [e for _, e in a.suspensions if e is not None]
        if a.returned_at is not None:
            instants.append(a.returned_at)
    return max(instants)
