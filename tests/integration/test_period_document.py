"""One period document (issue #34): scoring's period API, the standing indicators and replay give the same
document for the same cases, rejected events, assessment records and exemptions, every part of it (numbers,
`rejected`, `assessments`, `exemptions`), on real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from caseflow.config.assessments import load_templates
from caseflow.config.schemes import load_schemes
from caseflow.config.units import load_directory
from caseflow.contract import snapshot
from caseflow.domain.assessment_records import Actor, Command, Record
from caseflow.domain.exemption_requests import Application
from caseflow.domain.exemptions import approved
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.document import Applied
from caseflow.evaluation.periods import current_periods, named_bounds, parse_instant
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.instants import from_ms
from caseflow.replay.engine import CaseBook, replay, with_fed_scores
from caseflow.replay.output import as_document
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_scoring.assessing import act_on_record, record_on_request
from caseflow_scoring.exempting import Window, apply_on_request, decide_on_request
from caseflow_scoring.period_numbers import Scoring, period_numbers
from caseflow_scoring.standing import KINDS, refresh
from caseflow_scoring.store.assessments import PgAssessmentBooks, records_of
from caseflow_scoring.store.cases import save_on_case_snapshots
from caseflow_scoring.store.exemptions import PgExemptionLedgers
from caseflow_scoring.store.period_sources import PgPeriodSources
from caseflow_scoring.store.standing import refresh_lock, standing
from tests.support.events import ev

SHAPE = Shape(cases=300, units=6, regions=2, seed=41)
NOW = "2026-10-20T15:30"
ASSESSOR, APPROVER = Actor("li", "assessor"), Actor("wang", "approver")


def month_lines() -> list[bytes]:
    """A generated month and three events the rules refuse (no such case, a second report, a rework of
    a closed case is not needed: two kinds suffice), spread over the month."""
    refused = [ev("disposed", "NO-SUCH-CASE", "2026-10-05 10:00", event_id="x-1", unit="U-000"),
               ev("reported", "NO-SUCH-CASE-2", "2026-10-06 09:00", event_id="x-2"),
               ev("reported", "NO-SUCH-CASE-2", "2026-10-06 09:30", event_id="x-3")]
    return [*generate(SHAPE), *(orjson.dumps(e) + b"\n" for e in refused)]


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """As JSON (what the API and the standing table hold), without the standing row's own bookkeeping."""
    drop = {"kind", "period_name", "computed_at", "seconds"}
    return {k: v for k, v in orjson.loads(orjson.dumps(document)).items() if k not in drop}


async def test_scoring_standing_and_replay_give_one_document(settings: Settings, rules: Rules,
                                                             tmp_path: Path) -> None:
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    directory = load_directory(tmp_path / "units.yaml")
    schemes, templates = load_schemes(), load_templates()
    scoring = Scoring(rules, directory, schemes, templates)
    now = parse_instant(NOW, "now")
    lines = month_lines()
    book = CaseBook(rules)  # what dispatch has folded by `now`: the case states and what it refused
    for seq, line in enumerate(lines):
        book.add_raw(line.rstrip(b"\n"), seq, now)
    refused = book.rejections(now)
    assert {r.reason for r in refused} >= {"not_reported", "already_reported"}
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1) for s in book.cases()])
            await conn.executemany(
                "INSERT INTO dispatch_rejections (event_id, case_id, occurred_at, reason, detail) "
                "VALUES ($1, $2, $3, $4, $5)", [(r.event_id, r.case_id, from_ms(r.at), r.reason, r.detail)
                                                for r in refused])
        books = PgAssessmentBooks(pool)
        finding = Record("f1", "district-rules", "R-00", "2026-10", "org-structure", "finding", "", now - 1000,
                         deduction="no-leader", evidence="检查记录")
        assert isinstance(await record_on_request(books, finding, ASSESSOR, templates), Record)
        for step, actor in (("submit", ASSESSOR), ("approve", APPROVER)):
            assert isinstance(await act_on_record(books, "f1", Command(step, actor, "核实"), now), Record)
        # a grade in suning-2011-other feeds suning-2011's `other` (live and replay alike)
        grade = Record("g1", "suning-2011-other", "U-002", "2026-10", "public-evaluation", "grade", "", now - 1000,
                       points=4.0)
        assert isinstance(await record_on_request(books, grade, ASSESSOR, templates), Record)
        for step, actor in (("submit", ASSESSOR), ("approve", APPROVER)):
            assert isinstance(await act_on_record(books, "g1", Command(step, actor, "核实"), now), Record)

        # a unit's exemption, approved: every document applies it and lists it
        case = next(c for c in book.cases() if c.assignments and c.assignments[0].unit == "U-001")
        draft = Application("e1", "2026-10", case.case_id, "U-001", case.assignments[0].dispatched_at, "exclude",
                            "not_ours", "", 0)
        ledgers, window = PgExemptionLedgers(pool), Window(rules.calendar)
        made = await apply_on_request(ledgers, draft, Actor("unit:U-001", "unit", "U-001"), now, window,
                                      {"not_ours": "非本单位职责"})
        assert isinstance(made, Application)
        assert isinstance(await decide_on_request(ledgers, "e1", "approve", APPROVER, "属实", now), Application)
        applied = [Applied("e1", case.case_id, "U-001", case.assignments[0].dispatched_at, "exclude", "approved",
                           "not_ours", (), "wang", "属实")]
        exemptions = approved([(case.case_id, "U-001", case.assignments[0].dispatched_at, "exclude")])

        api = comparable(await period_numbers(PgPeriodSources(pool), "2026-10", NOW, scoring))
        assert "missing" not in api["units"]["U-002"]["scores"]["suning-2011"]
        assert api["units"]["U-001"]["scores"]["suning-2011"]["missing"] == ["other"]
        assert api["units"]["U-001"]["exempted"] == 1 and api["exemptions"]["e1"]["status"] == "approved"
        assert api["rejected"] and api["assessments"]["district-rules"]["records"]["f1"]
        async with refresh_lock(pool) as conn:
            assert conn is not None
            assert set(await refresh(pool, conn, KINDS, now, scoring)) == set(KINDS)
        names = current_periods(now)
        for kind in KINDS:
            name = names[kind]
            start, end = named_bounds(name)
            assessed = {t.id: (t, await records_of(pool, t.id, name)) for t in templates.values()
                        if t.applies_to(name)}
            result = replay(lines, Period(start, end, now), rules, directory, schemes, exemptions=exemptions)
            result = with_fed_scores(result, schemes, directory, None, assessed)  # as the replay tools do
            replayed = comparable(as_document(result, assessed, directory.unit_class, applied))
            stored = await standing(pool, kind)
            assert stored is not None and stored["period_name"] == name
            assert comparable(stored) == replayed, kind
            assert replayed == comparable(await period_numbers(PgPeriodSources(pool), name, NOW, scoring)), kind
        assert comparable(await standing(pool, "month") or {}) == api
    finally:
        await pool.close()
