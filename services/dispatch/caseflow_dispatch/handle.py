"""Use case: apply a batch of consumed case events to their cases — the CaseLog fold replay runs too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from caseflow.contract.facts import case_facts
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.autodispatch import DispatchProposed, ResponsibilityTable, propose_on_case_filed
from caseflow.domain.caselog import CaseLog, record
from caseflow.domain.events import CaseEvent, CaseFiled, CaseReported, CaseSupervised
from caseflow.domain.rules import Rules
from caseflow.domain.state import CaseState
from caseflow.infra.metrics import DEAD_LETTERS, EVENT_AGE
from caseflow.instants import iso
from caseflow_dispatch.ports import CaseStore, Outgoing


@dataclass(frozen=True)
class Topics:
    snapshots: str
    dead_letter: str
    proposals: str = ""


@dataclass
class Tally:
    applied: int = 0
    rejected: int = 0
    duplicates: int = 0
    invalid: int = 0


def _proposal_message(p: DispatchProposed) -> bytes:
    return orjson.dumps({"type": "dispatch_proposed", "case_id": p.case_id, "unit": p.unit, "major": p.major,
                         "minor": p.minor, "region": p.region, "filed_at": iso(p.at)})


# The events whose raw lines carry the facts people read in alerts (contract.facts).
_WITH_FACTS = (CaseReported, CaseFiled, CaseSupervised)


def rebuild(stored: list[tuple[int, bytes]], rules: Rules, with_facts: list[bytes] | None = None) -> CaseLog:
    """The case's log from its stored events; the raw lines that carry facts go to `with_facts`
    (told apart by the parse done anyway, so no line is parsed twice)."""
    log = CaseLog()
    for arrival, raw in stored:
        event = parse(raw, arrival)
        if not isinstance(event, Invalid):
            log, _ = record(log, event, rules)
            if with_facts is not None and isinstance(event, _WITH_FACTS):
                with_facts.append(raw)
    return log


async def apply_on_case_events(store: CaseStore, batch: Sequence[tuple[bytes, int]], rules: Rules, topics: Topics,
                               tally: Tally, now_ms: int = 0, table: ResponsibilityTable | None = None) -> None:
    """`batch` is (raw event, arrival = Kafka offset) in partition order. Duplicates are no-ops;
    rejections change no state and go to the dead-letter topic; each touched case gets one new snapshot."""
    outgoing: list[Outgoing] = []
    events: list[tuple[CaseEvent, bytes]] = []
    for raw, arrival in batch:
        event = parse(raw, arrival)
        if isinstance(event, Invalid):
            tally.invalid += 1
            DEAD_LETTERS.labels("dispatch", "invalid").inc()
            outgoing.append((topics.dead_letter, event.case_id or "", raw,
                             {"reason": "invalid", "field": event.field, "detail": event.reason}))
        else:
            events.append((event, raw))
    known = await store.known_ids([e.event_id for e, _ in events]) if events else set()
    fresh: list[tuple[CaseEvent, bytes]] = []
    for event, raw in events:
        if event.event_id in known:
            tally.duplicates += 1
        else:
            known.add(event.event_id)
            fresh.append((event, raw))
    stored = await store.events_of(sorted({e.case_id for e, _ in fresh})) if fresh else {}
    fact_lines: dict[str, list[bytes]] = {case_id: [] for case_id in stored}
    logs = {case_id: rebuild(rows, rules, fact_lines[case_id]) for case_id, rows in stored.items()}
    before = {case_id: (log.state, log.all_rejected) for case_id, log in logs.items()}
    for event, raw in fresh:
        previous = logs.get(event.case_id) or CaseLog()
        log, outcome = record(previous, event, rules)
        logs[event.case_id] = log
        if table is not None and outcome == "applied" and log.state is not None:
            proposal = propose_on_case_filed(previous.state, log.state, table)
            if proposal is not None:
                outgoing.append((topics.proposals, proposal.case_id, _proposal_message(proposal), {}))
        if outcome == "applied":
            tally.applied += 1
            EVENT_AGE.labels("dispatch").observe(max(0.0, (now_ms - event.at) / 1000))
        else:
            tally.rejected += 1
            reason = next(r for r in log.all_rejected if r.event_id == event.event_id)
            DEAD_LETTERS.labels("dispatch", reason.reason).inc()
            outgoing.append((topics.dead_letter, event.case_id, raw,
                             {"reason": reason.reason, "detail": reason.detail, "event_id": event.event_id}))
    await store.append([(e.case_id, e.seq, e.event_id, raw) for e, raw in fresh])
    touched = [c for c, log in logs.items() if (log.state, log.all_rejected) != before.get(c, (None, ()))]
    await store.set_rejections({c: logs[c].all_rejected for c in touched})
    changed: list[CaseState] = []
    for c in touched:
        state = logs[c].state
        if state is not None and state != before.get(c, (None, ()))[0]:
            changed.append(state)
    for event, raw in fresh:
        if isinstance(event, _WITH_FACTS):
            fact_lines.setdefault(event.case_id, []).append(raw)
    facts = {s.case_id: case_facts(fact_lines.get(s.case_id, ())) for s in changed}
    for state, message in zip(changed, await store.save_snapshots(changed, facts), strict=True):
        outgoing.append((topics.snapshots, state.case_id, message, {}))
    await store.emit(outgoing)
