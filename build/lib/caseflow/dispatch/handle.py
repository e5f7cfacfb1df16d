"""Use case: apply consumed case events to their cases — the same CaseLog fold that replay runs."""

from __future__ import annotations

from dataclasses import dataclass

from caseflow.contract.mapping import Invalid, parse
from caseflow.dispatch.ports import CaseStore
from caseflow.domain.caselog import CaseLog, record
from caseflow.domain.rules import Rules


@dataclass(frozen=True)
class Topics:
    snapshots: str
    dead_letter: str


@dataclass
class Tally:
    applied: int = 0
    rejected: int = 0
    duplicates: int = 0
    invalid: int = 0


async def apply_on_case_event(store: CaseStore, raw: bytes, arrival: int, rules: Rules, topics: Topics,
                              tally: Tally) -> None:
    event = parse(raw, arrival)
    if isinstance(event, Invalid):
        tally.invalid += 1
        await store.emit(topics.dead_letter, event.case_id or "", raw,
                         {"reason": "invalid", "field": event.field, "detail": event.reason})
        return
    if await store.is_known(event.event_id):
        tally.duplicates += 1
        return
    log = CaseLog()
    for seq, stored in await store.events_of(event.case_id):
        earlier = parse(stored, seq)
        if not isinstance(earlier, Invalid):
            log, _ = record(log, earlier, rules)
    before = log.state
    log, outcome = record(log, event, rules)
    await store.append(event.case_id, arrival, event.event_id, raw)
    await store.set_rejections(event.case_id, log.all_rejected)
    if outcome != "applied":
        tally.rejected += 1
        reason = next(r for r in log.all_rejected if r.event_id == event.event_id)
        await store.emit(topics.dead_letter, event.case_id, raw,
                         {"reason": reason.reason, "detail": reason.detail, "event_id": event.event_id})
    if log.state is not None and log.state != before:
        tally.applied += outcome == "applied"
        message = await store.save_snapshot(log.state)
        await store.emit(topics.snapshots, event.case_id, message, {})
