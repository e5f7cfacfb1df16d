"""Use case: remind units before a window closes (reminding.py decides; this reads and tells), and the
loop that runs it every few minutes beside the deadline clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Mapping

from caseflow.domain.assessment import Template
from caseflow.domain.indicators import Period
from caseflow.evaluation.periods import month_bounds, shift_month
from caseflow.instants import SHANGHAI, from_ms
from caseflow_scoring.alerting import wall_clock_ms
from caseflow_scoring.exempting import Window, costly_lines
from caseflow_scoring.notices import DAY
from caseflow_scoring.ports import CaseReader, Reminders
from caseflow_scoring.reminding import Lead, appeal_reminders, exemption_reminders

log = logging.getLogger(__name__)


async def remind_on_clock(reader: CaseReader, reminders: Reminders, window: Window,
                          templates: Mapping[str, Template], now: int, appeal_days: int, lead: Lead,
                          link_of: Callable[[str], str]) -> int:
    """Queue the reminders due now that were not told before; how many were queued."""
    findings = await reminders.unappealed_findings(now - (appeal_days + 1) * DAY)
    notices = appeal_reminders(findings, templates, now, appeal_days, lead, link_of)
    this_month = from_ms(now).astimezone(SHANGHAI).strftime("%Y-%m")
    for period in (shift_month(this_month, -1), this_month):
        closes = window.closes_at(period)
        if not lead.due(closes, now):
            continue
        start, end = month_bounds(period)
        applied = await reminders.applied(period)
        unapplied = Counter(line.unit for line in await costly_lines(reader, Period(start, end, min(now, end)))
                            if (line.case_id, line.unit, line.dispatched_at) not in applied)
        notices += exemption_reminders(period, closes, unapplied, now, lead, link_of)
    return await reminders.tell_once(notices)


async def run_reminders(reader: CaseReader, reminders: Reminders, window: Window, templates: Mapping[str, Template],
                        appeal_days: int, lead: Lead, link_of: Callable[[str], str], stopping: asyncio.Event,
                        every: float = 300.0) -> None:
    while lead.ms > 0 and not stopping.is_set():
        try:
            await remind_on_clock(reader, reminders, window, templates, wall_clock_ms(), appeal_days, lead, link_of)
        except Exception:  # a bad run must not stop the loop; the next one retries
            log.exception("window reminders failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every)
