"""The overdue-risk sweep (#35): every few minutes, every open assignment's risk, published on `case-risks`
for the boards; with CASEFLOW_RISK_WARNING_THRESHOLD set, those at or above it before the ordinary warning
are told to their unit (风险预警), each cycle once: the alert ledger keeps ids forever, so a restart or a
second replica raises nothing twice. Risks and warnings leave through the outbox in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from caseflow.contract.case_risk import CaseRisk, encode
from caseflow.domain.indicators import Period
from caseflow.forecast.risk import Risk, risks
from caseflow.forecast.warnings import plan_risk_warnings
from caseflow.instants import iso
from caseflow_scoring.alerting import AlertTopics, case_details, raise_alerts, wall_clock_ms
from caseflow_scoring.overdue_risk import HISTORY, RiskModels
from caseflow_scoring.ports import AlertLedgers, CaseReader

log = logging.getLogger(__name__)


def risk_message(r: Risk, p_late: float, now: int) -> bytes:
    return encode(CaseRisk(r.case_id, r.seq, r.unit, p_late, r.why, iso(now)))


async def sweep_risks(reader: CaseReader, ledgers: AlertLedgers, models: RiskModels, threshold: float | None,
                      topic: str | AlertTopics, risk_topic: str, now: int) -> tuple[int, int]:
    """(risks published, warnings raised now)."""
    model = await models.current(reader, now)
    span = Period(now - HISTORY, now + 1, now)
    found = [r async for batch in reader.case_batches(span) for r in risks(model, batch, now, models.rules.calendar)]
    alerts = plan_risk_warnings(found, threshold, models.rules.warning_fraction, now) if threshold else []
    facts = await reader.with_facts(sorted({a.case_id for a in alerts}))
    details = {a.alert_id: case_details(facts[a.case_id][0], a, facts[a.case_id][1])
               for a in alerts if a.case_id in facts}
    async with ledgers.transaction() as ledger:
        # a case with too little history to say is not published: the boards show no number for it
        await ledger.enqueue([(risk_topic, r.case_id, risk_message(r, r.p_late, now), {}) for r in found
                              if r.p_late is not None])
        raised = await raise_alerts(ledger, alerts, topic, details=details, now=now)
    return len(found), raised


async def run_risk_sweep(reader: CaseReader, ledgers: AlertLedgers, models: RiskModels, threshold: float | None,
                         topic: str | AlertTopics, risk_topic: str, stopping: asyncio.Event,
                         every: float = 300.0) -> None:
    while not stopping.is_set():
        try:
            await sweep_risks(reader, ledgers, models, threshold, topic, risk_topic, wall_clock_ms())
        except Exception:  # a bad round must not stop the loop; the next one retries
            log.exception("overdue-risk sweep failed; retrying in %.0f s", every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
