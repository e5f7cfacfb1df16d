"""Standing indicators on real PostgreSQL: the current day, month, quarter and year stored by scoring
equal `replay` of the same events as of the same instant; and which kinds refresh when."""

from __future__ import annotations

import orjson

from caseflow.config.schemes import load_schemes
from caseflow.config.units import Directory, load_directory
from caseflow.contract import snapshot
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.evaluate import period_document
from caseflow.evaluation.periods import current_periods, named_bounds, parse_instant
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.replay.engine import CaseBook, replay
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_scoring.standing import IDLE_PER_BUSY, KINDS, MAX_AGE, MIN_INTERVAL, due_kinds, refresh
from caseflow_scoring.store.cases import save_on_case_snapshots
from caseflow_scoring.store.standing import refresh_lock, standing

SHAPE = Shape(cases=300, units=9, regions=3, seed=77)


async def test_standing_documents_equal_replay_as_of_the_same_instant(settings: Settings, rules: Rules,
                                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    directory: Directory = load_directory(tmp_path / "units.yaml")
    schemes = load_schemes()
    lines = list(generate(SHAPE))
    now = parse_instant("2026-10-20T15:30", "now")
    book = CaseBook(rules)  # live scoring at `now` has seen the events up to now, no later ones
    for seq, line in enumerate(lines):
        book.add_raw(line, seq, now)
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await save_on_case_snapshots(conn, [snapshot.encode(s, 1) for s in book.cases()])
        async with refresh_lock(pool) as conn:
            assert conn is not None
            took = await refresh(pool, conn, KINDS, now, rules, directory, schemes)
        assert set(took) == set(KINDS)
        names = current_periods(now)
        assert names == {"day": "2026-10-20", "month": "2026-10", "quarter": "2026-Q4", "year": "2026"}
        for kind in KINDS:
            start, end = named_bounds(names[kind])
            result = replay(lines, Period(start, end, now), rules, directory, schemes)
            expected = orjson.loads(orjson.dumps(period_document(
                result.period, result.indicators, result.scores, result.listings)))
            stored = await standing(pool, kind)
            assert stored is not None and stored["period_name"] == names[kind]
            assert {k: stored[k] for k in ("period", "units", "regions", "listings")} == expected, kind
        assert any(u["dispatched"] for u in (await standing(pool, "day") or {})["units"].values())
    finally:
        await pool.close()


def test_which_kinds_refresh() -> None:
    last = dict.fromkeys(KINDS, 100.0)
    assert due_kinds(last, set(), 100.5) == ()
    assert due_kinds(last, set(KINDS), 100.0 + MIN_INTERVAL["month"]) == ("day", "month")
    assert due_kinds(last, set(), 100.0 + MAX_AGE) == KINDS
    assert due_kinds({}, set(), 0.0) == KINDS  # never computed: all at once


def test_a_slow_refresh_waits_in_proportion() -> None:
    last = dict.fromkeys(KINDS, 100.0)
    took = {"day": 0.1, "month": 0.1, "quarter": 40.0, "year": 40.0}  # a province's quarter and year
    changed = set(KINDS)
    assert due_kinds(last, changed, 100.0 + MIN_INTERVAL["year"], took) == ("day", "month")
    assert due_kinds(last, changed, 100.0 + IDLE_PER_BUSY * 40.0, took) == KINDS
    assert due_kinds(last, set(), 100.0 + MAX_AGE, took) == ("day", "month")  # not even by age
    assert due_kinds(last, set(), 100.0 + MAX_AGE, {}) == KINDS
