"""Notices to the assessed (issue #32, scoring/notices.py): a finding approved against a unit, its appeal
decided and an exemption decided each queue one `notice` alert in the transaction that made the decision
(on real PostgreSQL, through the outbox): a refused step queues nothing, a step repeated after a crash
cannot queue a second one (the id names the decision), and notify renders it in Chinese with the link."""

from __future__ import annotations

import time
from dataclasses import replace

from caseflow.config.assessments import load_templates
from caseflow.contract.alert import AlertType, Reason, decode
from caseflow.domain.assessment_records import Actor, Command, Record
from caseflow.domain.calendar import WorkingCalendar
from caseflow.domain.exemption_requests import Application
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow_notify import content, messages
from caseflow_scoring.assessing import act_on_record, record_on_request
from caseflow_scoring.exempting import decide_on_request
from caseflow_scoring.store.assessments import PgAssessmentBooks
from caseflow_scoring.store.exemptions import PgExemptionLedgers

TEMPLATES = load_templates()
ASSESSOR, APPROVER = Actor("li", "assessor"), Actor("wang", "approver")
TOWN = Actor("town-a", "unit", "R-A")
T0 = 1_790_000_000_000


def link(unit: str) -> str:
    return f"https://cg.example.gov.cn/units/{unit}/standing"


async def queued(pool) -> list:  # type: ignore[no-untyped-def]
    rows = await pool.fetch("SELECT topic, key, value FROM outbox ORDER BY id")
    return [(r["topic"], r["key"], decode(bytes(r["value"]))) for r in rows]


async def test_a_finding_approved_and_its_appeal_decided_are_told_once(settings: Settings) -> None:
    template = TEMPLATES["district-rules"]  # findings against a town (镇/街道): told like a unit
    item = next(i for i in template.items().values() if i.scoring == "deductions"
                and any(d.kind == "fixed" for d in i.deductions))
    deduction = next(d for d in item.deductions if d.kind == "fixed")
    period = "2026-10" if "month" in template.periods else "2026"
    pool = await db.connect(settings.database_url)
    books = PgAssessmentBooks(pool, settings.topic("alerts"))
    try:
        draft = replace(Record("f1", template.id, "R-A", period, item.id, "finding", "", T0),
                        deduction=deduction.id, evidence="现场检查")
        assert isinstance(await record_on_request(books, draft, ASSESSOR, TEMPLATES), Record)
        steps = (("submit", ASSESSOR), ("approve", APPROVER))
        for n, (step, actor) in enumerate(steps):
            await act_on_record(books, "f1", Command(step, actor, "核实"), T0 + n + 1, 7, TEMPLATES, link)
        await act_on_record(books, "f1", Command("approve", APPROVER, "again"), T0 + 5, 7, TEMPLATES, link)  # refused
        [(topic, key, told)] = await queued(pool)
        assert topic == settings.topic("alerts") and key == "R-A"
        assert (told.type, told.reason, told.unit, told.recipients) == (AlertType.NOTICE, Reason.FINDING_APPROVED,
                                                                        "R-A", ("unit",))
        assert f"扣 {deduction.points:g} 分" in told.detail and "前申诉" in told.detail and item.name in told.detail
        assert told.link == link("R-A")
        await act_on_record(books, "f1", Command("appeal", TOWN, "已整改", files=("sha256:x",)), T0 + 6, 7,
                            TEMPLATES, link)
        await act_on_record(books, "f1", Command("reverse", APPROVER, "整改属实"), T0 + 7, 7, TEMPLATES, link)
        kinds = [n.reason for _, _, n in await queued(pool)]
        assert kinds == [Reason.FINDING_APPROVED, Reason.APPEAL_DECIDED]
        decided = (await queued(pool))[1][2]
        assert "撤销扣分" in decided.detail and "整改属实" in decided.detail

        ctx = content.Context(int(time.time() * 1000), WorkingCalendar(), {"R-A": "临平街道"})
        [draft_msg] = messages.pack(content.entries_of([n for _, _, n in await queued(pool)]), ctx,
                                    lambda title, text: len(text) < 4000)
        assert draft_msg.title.startswith("城管考核通知：临平街道")
        assert "#### 【通知】考核扣分已批准" in draft_msg.text and "- [查看本单位考核看板](https://" in draft_msg.text
    finally:
        await pool.close()


async def test_an_exemption_decided_is_told(settings: Settings, rules) -> None:  # type: ignore[no-untyped-def]
    pool = await db.connect(settings.database_url)
    ledgers = PgExemptionLedgers(pool, settings.topic("alerts"))
    try:
        application = Application("E1", "2026-10", "C-1", "U-1", T0, "on_time", "weather", "unit:U-1", T0)
        async with ledgers.transaction() as ledger:
            await ledger.save(application, ())
        decided = await decide_on_request(ledgers, "E1", "reject", APPROVER, "证据不足", T0 + 10, link)
        assert not isinstance(decided, str)
        [(_, key, told)] = await queued(pool)
        assert key == "U-1" and told.reason is Reason.EXEMPTION_DECIDED
        assert told.detail == "C-1 超期核减：已驳回（证据不足）"
    finally:
        await pool.close()
