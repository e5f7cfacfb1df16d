"""Exemptions (核减, rules §4a), kind by kind against the rule's table, and the offline tools' reading of the
export file. Each row: the events of one case (U1's assignment dispatched 2026-10-08 09:00 with a 2-hour
limit, due 11:00), the exemptions, and the counts that change; every other count is as without them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from caseflow.config.schemes import ConfigError
from caseflow.domain.exemptions import Exemptions, approved
from caseflow.domain.indicators import Period
from caseflow.domain.period_tally import evaluate
from caseflow.domain.rules import Rules
from caseflow.replay import loading
from caseflow.replay.exempted import read_exemptions
from caseflow.replay.output import as_document
from caseflow.replay.sources import Source
from caseflow.sample.generate import Shape, generate, units_yaml
from tests.support.events import ev, ms
from tests.unit.test_alerts import state

OCT = Period(ms("2026-10-01 00:00"), ms("2026-11-01 00:00"), ms("2026-10-31 23:59"))
AT = ms("2026-10-08 09:00")
LIMIT = {"time_limit": {"value": 2, "unit": "hours"}}


def case(*later: dict[str, Any]) -> list[dict[str, Any]]:
    return [ev("reported", "C", "2026-10-08 08:00"), ev("filed", "C", "2026-10-08 08:30"),
            ev("dispatched", "C", "2026-10-08 09:00", unit="U1", **LIMIT), *later]


LATE = case(ev("disposed", "C", "2026-10-08 15:00", unit="U1"), ev("closed", "C", "2026-10-08 16:00"))
ON_TIME = case(ev("disposed", "C", "2026-10-08 10:00", unit="U1"))
OPEN = case()  # overdue since 11:00 and never disposed
REWORKED = case(ev("disposed", "C", "2026-10-08 10:00", unit="U1"), ev("reworked", "C", "2026-10-08 10:30", unit="U1"))
RETURNED = case(ev("returned", "C", "2026-10-08 09:30", unit="U1"))


def unit(rules: Rules, events: list[dict[str, Any]], exemptions: Exemptions, period: Period = OCT) -> dict[str, Any]:
    found = evaluate([state(rules, events)], period, rules, ["U1"], exemptions=exemptions)
    return dict(found.units["U1"])


def changed(rules: Rules, events: list[dict[str, Any]], *kinds: str, at: int = AT,
            period: Period = OCT) -> dict[str, Any]:
    """The counts and rates that the exemptions change, as (without, with)."""
    before = unit(rules, events, approved([]), period)
    after = unit(rules, events, approved([("C", "U1", at, kind) for kind in kinds]), period)
    return {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_exclude_takes_the_assignment_out_of_every_count(rules: Rules) -> None:
    moved = changed(rules, LATE, "exclude")
    assert moved == {"dispatched": (1, 0), "due": (1, 0), "disposed": (1, 0), "late_disposed": (1, 0),
                     "closed": (1, 0), "exempted": (0, 1), "disposal_rate": (1.0, None), "on_time_rate": (0.0, None),
                     "close_rate": (1.0, None), "on_time_close_rate": (0.0, None), "rework_rate": (0.0, None),
                     "intact_rate": (1.0, None), "repeat_rate": (0.0, None), "extension_rate": (0.0, None),
                     "workload_ratio": (1.0, None)}


def test_exclude_leaves_the_region_sums_too(rules: Rules) -> None:
    events = [state(rules, LATE)]
    without = evaluate(events, OCT, rules, ["U1"], ["linping"])
    with_ = evaluate(events, OCT, rules, ["U1"], ["linping"], approved([("C", "U1", AT, "exclude")]))
    assert without.regions["linping"]["resolution_rate"] == 1.0
    assert with_.regions["linping"]["resolution_rate"] is None  # no due assignment left
    assert with_.regions["linping"]["reported"] == 1  # the case was still reported (§5 counts cases)


def test_on_time_on_a_late_disposal_counts_it_on_time(rules: Rules) -> None:
    assert changed(rules, LATE, "on_time") == {
        "on_time": (0, 1), "late_disposed": (1, 0), "closed_on_time": (0, 1), "on_time_rate": (0.0, 1.0),
        "on_time_close_rate": (0.0, 1.0)}


def test_on_time_on_an_open_overdue_assignment_makes_it_pending(rules: Rules) -> None:
    assert changed(rules, OPEN, "on_time") == {
        "due": (1, 0), "overdue_open": (1, 0), "pending": (0, 1), "disposal_rate": (0.0, None),
        "on_time_rate": (0.0, None), "close_rate": (0.0, None), "on_time_close_rate": (0.0, None),
        "rework_rate": (0.0, None), "intact_rate": (1.0, None), "repeat_rate": (0.0, None),
        "extension_rate": (0.0, None)}


def test_rework_stops_counting_the_rework_not_the_lifecycle(rules: Rules) -> None:
    moved = changed(rules, REWORKED, "rework")
    assert moved == {"reworked": (1, 0), "rework_rate": (1.0, 0.0), "intact_rate": (0.0, 1.0)}
    assert unit(rules, REWORKED, approved([("C", "U1", AT, "rework")]))["disposed"] == 0  # still reworked, open


def test_two_kinds_on_one_assignment_both_apply(rules: Rules) -> None:
    events = case(ev("disposed", "C", "2026-10-08 10:00", unit="U1"),
                  ev("reworked", "C", "2026-10-08 10:30", unit="U1"),
                  ev("disposed", "C", "2026-10-08 18:00", unit="U1"))  # re-disposed late
    moved = changed(rules, events, "on_time", "rework")
    assert moved["reworked"] == (1, 0) and moved["on_time"] == (0, 1) and moved["late_disposed"] == (1, 0)


@pytest.mark.parametrize("events", [RETURNED, ON_TIME], ids=["returned", "bogus"])
def test_a_returned_or_unknown_assignment_changes_nothing(rules: Rules, events: list[dict[str, Any]]) -> None:
    wrong = AT if events is RETURNED else AT + 60_000  # ON_TIME: no assignment dispatched at that instant
    assert changed(rules, events, "exclude", "on_time", "rework", at=wrong) == {}


def test_a_decision_applies_whatever_the_as_of(rules: Rules) -> None:
    """Decisions are not facts of the month: an as-of before the assignment was disposed (or before the
    exemption was decided) still sees it; an as-of before its dispatch does not see the assignment at all."""
    noon = Period(OCT.start, OCT.end, ms("2026-10-08 12:00"))  # overdue_open at noon
    assert changed(rules, LATE, "on_time", period=noon)["overdue_open"] == (1, 0)
    early = Period(OCT.start, OCT.end, ms("2026-10-08 08:45"))  # not yet dispatched
    assert changed(rules, LATE, "exclude", period=early) == {}


def test_repeat_counts_skip_an_excluded_assignment(rules: Rules) -> None:
    from caseflow.domain.indicators import count, repeat_units

    first = state(rules, LATE)
    assert repeat_units(first, OCT, approved([("C", "U1", AT, "exclude")])) == ()
    assert count([first], OCT, {"C"}, ["U1"], exemptions=approved([("C", "U1", AT, "exclude")])).units["U1"][
        "repeat"] == 0
    assert count([first], OCT, {"C"}, ["U1"]).units["U1"]["repeat"] == 1


def export(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "exemptions.json"
    path.write_bytes(orjson.dumps({"period": "2026-10", "exemptions": list(entries)}))
    return path


def entry(**more: Any) -> dict[str, Any]:
    return {"id": "E-1", "case_id": "C", "unit_id": "U1", "dispatched_at": "2026-10-08T09:00:00+08:00",
            "kind": "exclude", "status": "approved", "reason": "非本单位职责", **more}


def test_the_export_file_gives_the_approved_ones_only(tmp_path: Path) -> None:
    found = read_exemptions(export(tmp_path, entry(), entry(id="E-2", kind="on_time", status="rejected"),
                                   entry(id="E-3", kind="rework", status="pending", note="more fields are fine")))
    assert found.kinds == {("C", "U1", AT): frozenset({"exclude"})}


@pytest.mark.parametrize(("bad", "says"), [
    ({"kind": "forgive"}, "exemptions[0] (E-1).kind 'forgive': expected one of exclude, on_time, rework"),
    ({"status": "maybe"}, "exemptions[0] (E-1).status 'maybe'"),
    ({"dispatched_at": "yesterday"}, "exemptions[0] (E-1).dispatched_at"),
    ({"case_id": 7}, "Expected `str`, got `int` - at `$.exemptions[0].case_id`"),
])
def test_a_wrong_export_file_is_refused_naming_the_entry_and_field(tmp_path: Path, bad: dict[str, Any],
                                                                   says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        read_exemptions(export(tmp_path, entry(**bad)))
    assert says in str(refused.value) and "exemptions.json" in str(refused.value)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_one_process_and_the_bucketed_replay_agree_with_exemptions(tmp_path: Path, rules: Rules,
                                                                   workers: int) -> None:
    """A generated month with one exemption of each kind (and a bogus one): the one-process fold and the
    bucketed replay on 1, 2 and 4 workers give one document, and it differs from the month without them."""
    from caseflow.config.schemes import load_schemes
    from caseflow.config.units import load_directory
    from caseflow.replay import parallel
    from caseflow.replay.engine import CaseBook

    shape = Shape(cases=1200, units=6, regions=2, seed=5)
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    directory, schemes = load_directory(tmp_path / "units.yaml"), load_schemes(None)
    lines = list(generate(shape))
    path = tmp_path / "month.jsonl"
    path.write_bytes(b"".join(lines))
    book = CaseBook(rules)
    for seq, line in enumerate(lines):
        book.add_raw(line, seq)
    assignments = [(c.case_id, a) for c in book.cases() for a in c.assignments if OCT.contains(a.dispatched_at)]
    picks = [assignments[i] for i in (3, 50, 120, 121)]
    exemptions = approved([(c, a.unit, a.dispatched_at, kind) for (c, a), kind in
                           zip(picks, ("exclude", "on_time", "rework", "on_time"), strict=True)] +
                          [("NO-SUCH", "U-000", AT, "exclude")])
    period = Period(OCT.start, OCT.end, OCT.end)
    single = as_document(loading.compute(Source("file", path), period, rules, directory, schemes, 1, False,
                                         exemptions=exemptions))
    split = parallel.replay_file(path, period, rules, directory, schemes, workers, buckets=16, exemptions=exemptions)
    assert not isinstance(split, str), split
    assert as_document(split) == single
    plain = as_document(loading.compute(Source("file", path), period, rules, directory, schemes, 1, False))
    assert sum(u["exempted"] for u in single["units"].values()) == 1
    assert single["units"] != plain["units"]
