"""Alerts that need a whole month of cases: repeat cases, and units below their on-time target."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from caseflow.config.units import Directory
from caseflow.domain.indicators import Indicators, Period
from caseflow.domain.period_alerts import (
    RepeatGroups,
    gather_repeat_members,
    plan_repeat_alerts_of,
    plan_unit_rate_alerts,
)
from caseflow.domain.period_tally import PeriodTally
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra.metrics import REGION_RATE, UNIT_DUE, UNIT_ON_TIME_RATE, UNIT_OVERDUE_OPEN
from caseflow.instants import iso
from caseflow_scoring.alerting import AlertTopics, case_details, raise_alerts, wall_clock_ms
from caseflow_scoring.ports import AlertLedgers, CaseReader
from caseflow_scoring.standing import IDLE_PER_BUSY

log = logging.getLogger(__name__)
DEFAULT_ON_TIME_TARGET = 0.9


def unit_targets(directory: Directory) -> dict[str, float]:
    """`targets: {on_time_rate: 0.95}` on a unit in the units file."""
    return {u.id: u.on_time_target for u in directory.units.values() if u.on_time_target is not None}


def publish_gauges(indicators: Indicators, directory: Directory) -> None:
    """Month-to-date business gauges for Grafana (labels: configured or active units and regions)."""
    for unit, row in indicators.units.items():
        known = directory.units.get(unit)
        cls = str(known.unit_class) if known else "unconfigured"
        rate = row["on_time_rate"]
        UNIT_ON_TIME_RATE.labels(unit, cls).set(float("nan") if rate is None else float(rate))
        UNIT_OVERDUE_OPEN.labels(unit, cls).set(float(row["overdue_open"] or 0))
        UNIT_DUE.labels(unit, cls).set(float(row["due"] or 0))
    for region, row in indicators.regions.items():
        for key in ("resolution_rate", "timely_resolution_rate", "on_time_rate"):
            value = row[key]
            REGION_RATE.labels(region, key).set(float("nan") if value is None else float(value))


async def raise_period_alerts(cases_of: CaseReader, ledgers: AlertLedgers, rules: Rules, directory: Directory,
                              topic: str | AlertTopics, now: int) -> int:
    start, end = month_bounds(iso(now)[:7])
    period = Period(start, end, now)
    tally, groups = PeriodTally(period, rules, directory.units, directory.regions), RepeatGroups()
    async for batch in cases_of.case_batches(period):  # a batch at a time: a province's month is never held
        tally.add(batch)
        gather_repeat_members(groups, batch, start, end, now, rules)
    alerts = plan_repeat_alerts_of(groups, start)
    # A repeat case's 督办 tells the unit what the case is, as the clock's alerts do (description, address,
    # deadline, link): its facts and state, read for these few cases only.
    found = await cases_of.with_facts(sorted({a.case_id for a in alerts}))
    details = {a.alert_id: case_details(found[a.case_id][0], a, found[a.case_id][1])
               for a in alerts if a.case_id in found}
    indicators, _ = tally.indicators()
    rows = indicators.units
    publish_gauges(indicators, directory)
    alerts += plan_unit_rate_alerts(rows, start, now, unit_targets(directory), DEFAULT_ON_TIME_TARGET)
    async with ledgers.transaction() as ledger:
        return await raise_alerts(ledger, alerts, topic, details=details, now=now)


async def run_period_alerts(cases_of: CaseReader, ledgers: AlertLedgers, rules: Rules, directory: Directory,
                            topic: str | AlertTopics,
                            stopping: asyncio.Event, every: float = 60.0) -> None:
    while not stopping.is_set():
        began = time.perf_counter()
        try:
            await raise_period_alerts(cases_of, ledgers, rules, directory, topic, wall_clock_ms())
        except Exception:  # a bad minute must not stop the clock; the next run retries
            log.exception("period alerts failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(),
                                   timeout=max(every, IDLE_PER_BUSY * (time.perf_counter() - began)))
