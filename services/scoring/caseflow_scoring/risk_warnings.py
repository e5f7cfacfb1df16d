"""The overdue-risk sweep (#35): every few minutes, every open assignment's risk, published on `case-risks`
for the boards; with CASEFLOW_RISK_WARNING_THRESHOLD set, those at or above it before the ordinary warning
are told to their unit (风险预警), each cycle once: the alert ledger keeps ids forever, so a restart or a
second replica raises nothing twice. Risks and warnings leave through the outbox in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from caseflow.contract.case_risk import CaseRisk, encode
from caseflow.forecast.risk import Risk, risks
from caseflow.forecast.warnings import plan_risk_warnings
from caseflow.instants import iso
from caseflow_scoring.alerting import AlertTopics, case_details, raise_alerts, wall_clock_ms
from caseflow_scoring.overdue_risk import RiskModels
from caseflow_scoring.ports import AlertLedgers, CaseReader

log = logging.getLogger(__name__)


def risk_message(r: Risk, p_late: float, now: int) -> bytes:
    return encode(CaseRisk(r.case_id, r.seq, r.unit, p_late, r.why, iso(now)))


async def sweep_risks(reader: CaseReader, ledgers: AlertLedgers, models: RiskModels, threshold: float | None,
                      topic: str | AlertTopics, risk_topic: str, now: int,
                      published: dict[str, float] | None = None) -> tuple[int, int]:
    """(risks published, warnings raised now). `published` (kept between rounds): what this replica last
    sent per assignment still open; a risk that has not moved by a point is not sent again (the boards
    keep it)."""
    async with models.lock:  # refit (the API takes this model too) and find the open cases in one pass
        still_open = await models.learn(reader, now)
        assert models.built is not None
        model = models.built[1]
    found = await asyncio.to_thread(risks, model, still_open, now, models.rules.calendar)  # off the event loop
    alerts = plan_risk_warnings(found, threshold, models.rules.warning_fraction, now) if threshold else []
    facts = await reader.with_facts(sorted({a.case_id for a in alerts}))
    details = {a.alert_id: case_details(facts[a.case_id][0], a, facts[a.case_id][1])
               for a in alerts if a.case_id in facts}
    # a case with too little history to say is not published: the boards show no number for it
    current = {f"{r.case_id}#{r.seq}": (r, r.p_late) for r in found if r.p_late is not None}
    sent = current if published is None else {
        k: v for k, v in current.items() if k not in published or abs(published[k] - v[1]) >= 0.01}
    async with ledgers.transaction() as ledger:
        await ledger.enqueue([(risk_topic, r.case_id, risk_message(r, p, now), {}) for r, p in sent.values()])
        raised = await raise_alerts(ledger, alerts, topic, details=details, now=now)
    if published is not None:  # only what is open now: a closed case's entry would stay for ever
        for gone in published.keys() - current.keys():
            del published[gone]
        published.update((k, p) for k, (_, p) in sent.items())
    return len(sent), raised


async def run_risk_sweep(reader: CaseReader, ledgers: AlertLedgers, models: RiskModels, threshold: float | None,
                         topic: str | AlertTopics, risk_topic: str, stopping: asyncio.Event,
                         every: float = 300.0) -> None:
    """A round every `every` seconds, the first one `every` after the start (a replica that just took over
    catches up on its partitions first)."""
    published: dict[str, float] = {}
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
        if stopping.is_set():
            return
        try:
            await sweep_risks(reader, ledgers, models, threshold, topic, risk_topic, wall_clock_ms(), published)
        except Exception:  # a bad round must not stop the loop; the next one retries
            log.exception("overdue-risk sweep failed; retrying in %.0f s", every)
