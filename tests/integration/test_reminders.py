"""Window reminders on real PostgreSQL (issue #32): the month's cases that cost a unit points without a
核减 application and a finding approved but not appealed are each reminded once through the outbox,
however often the loop runs (a second run, or a restart, queues nothing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from caseflow.config.assessments import load_templates
from caseflow.contract import snapshot
from caseflow.contract.alert import Reason
from caseflow.domain.assessment_records import Actor, Command, Record
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate
from caseflow_scoring.assessing import act_on_record, record_on_request
from caseflow_scoring.exempting import Window, costly_lines
from caseflow_scoring.notices import DAY
from caseflow_scoring.reminders import remind_on_clock
from caseflow_scoring.reminding import Lead
from caseflow_scoring.store.assessments import PgAssessmentBooks
from caseflow_scoring.store.cases import PgCases, save_on_case_snapshots
from caseflow_scoring.store.reminders import PgReminders
from tests.integration.test_notices import queued

TEMPLATES = load_templates()


def link(unit: str) -> str:
    return f"https://cg.example.gov.cn/units/{unit}/standing"


async def test_each_reminder_is_told_once_for_what_is_left_to_do(settings: Settings, rules: Rules) -> None:
    now_dt = datetime.now(SHANGHAI)
    month = now_dt.strftime("%Y-%m")
    start, end = month_bounds(month)
    shape = Shape(cases=150, units=3, regions=2, seed=5, start=datetime.fromtimestamp(start / 1000, SHANGHAI))
    book = CaseBook(rules)
    for seq, line in enumerate(generate(shape)):
        book.add_raw(line.rstrip(b"\n"), seq, end)
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1) for s in book.cases()])
        now = int(now_dt.timestamp() * 1000)
        window = Window(rules.calendar)
        lead = Lead(window.closes_at(month) - now + 1)  # so the month's window is due now, whatever the day

        template = TEMPLATES["district-rules"]
        item = next(i for i in template.items().values() if i.scoring == "deductions"
                    and any(d.kind == "fixed" for d in i.deductions))
        books = PgAssessmentBooks(pool, settings.topic("alerts"))
        approved_at = now - 7 * DAY + 3_600_000  # its appeal window closes in an hour
        draft = replace(Record("f1", template.id, "R-00", month, item.id, "finding", "", approved_at),
                        deduction=next(d.id for d in item.deductions if d.kind == "fixed"))
        await record_on_request(books, draft, Actor("li", "assessor"), TEMPLATES)
        for n, step in enumerate(("submit", "approve")):
            await act_on_record(books, "f1", Command(step, Actor("wang", "approver" if n else "assessor"), "核实"),
                                approved_at + n, 7, TEMPLATES, link)
        before = len(await queued(pool))

        reminders = PgReminders(pool, settings.topic("alerts"))
        costly = Counter(c.unit for c in await costly_lines(PgCases(pool), Period(start, end, min(now, end))))
        assert costly, "the generated month has cases that cost points"
        told = await remind_on_clock(PgCases(pool), reminders, window, TEMPLATES, now, 7, Lead(2 * 3_600_000),
                                     link)
        assert told == 1  # only the appeal's window is within two hours
        told = await remind_on_clock(PgCases(pool), reminders, window, TEMPLATES, now, 7, lead, link)
        assert told == len(costly)  # each unit with cases left, once; the finding was told already
        assert await remind_on_clock(PgCases(pool), reminders, window, TEMPLATES, now + 60_000, 7, lead, link) == 0

        notices = [n for _, _, n in (await queued(pool))[before:]]
        [appeal] = [n for n in notices if n.reason is Reason.APPEAL_WINDOW_CLOSING]
        assert appeal.unit == "R-00" and item.name in appeal.detail and appeal.link == link("R-00")
        windows = {n.unit: n for n in notices if n.reason is Reason.EXEMPTION_WINDOW_CLOSING}
        assert set(windows) == set(costly)
        assert all(f"尚有 {costly[u]} 件" in n.detail for u, n in windows.items())
        assert len({n.alert_id for n in notices}) == len(notices) == 1 + len(costly)
    finally:
        await pool.close()
