"""Audit comparison (pure) and the one replay order Kafka and the archive share."""

from __future__ import annotations

from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import month_bounds
from caseflow.replay.audit import Difference, cases_behind, compare
from caseflow.replay.audit_cli import render
from caseflow.replay.engine import CaseBook
from tests.support.events import ev, lines


def doc(on_time: int, score: float, region_rate: float | None) -> dict[str, object]:
    return {"period": {}, "units": {"U-1": {"on_time": on_time, "due": 4,
                                            "scores": {"county-interim": {"score": score, "rank": 1}}}},
            "regions": {"R-1": {"resolution_rate": region_rate}}}


def test_equal_documents_have_no_differences() -> None:
    assert compare(doc(3, 90.0, 0.5), doc(3, 90.0, 0.5)) == []


def test_differences_name_scope_id_key_and_both_values() -> None:
    found = compare(doc(3, 90.0, 0.5), doc(2, 80.0, None))
    assert found == [
        Difference("unit", "U-1", "on_time", 3, 2),
        Difference("unit", "U-1", "scores.county-interim.score", 90.0, 80.0),
        Difference("region", "R-1", "resolution_rate", 0.5, None),
    ]
    text = render(found, "header")
    assert "VERDICT: 3 DIFFERENCE(S) in 1 unit(s) and 1 region(s)" in text
    assert "unit U-1  on_time: replay 3  live 2" in text and "live null" in text


def test_a_unit_missing_on_one_side_is_a_difference_per_key() -> None:
    left = doc(3, 90.0, 0.5)
    right = {**left, "units": {}}
    assert {d.key for d in compare(left, right)} == {"on_time", "due", "scores.county-interim.score",
                                                    "scores.county-interim.rank"}


H2 = {"time_limit": {"value": 2, "unit": "hours"}}


def _book(events: list[dict[str, object]], rules: Rules) -> CaseBook:
    book = CaseBook(rules)
    for seq, line in enumerate(lines(events)):
        book.add_raw(line, seq)
    return book


def test_cases_behind_a_count_are_the_cases_whose_contribution_differs(rules: Rules) -> None:
    common = []
    for case in ("A", "B", "C"):
        common += [ev("reported", case, "2026-10-12 08:00"), ev("filed", case, "2026-10-12 08:10"),
                   ev("dispatched", case, "2026-10-12 09:00", unit="U1", **H2)]
    replayed = _book([*common, ev("disposed", "A", "2026-10-12 10:00", unit="U1"),
                      ev("disposed", "B", "2026-10-12 10:00", unit="U1")], rules).cases()
    live = _book([*common, ev("disposed", "A", "2026-10-12 10:00", unit="U1")], rules).cases()
    period = Period(*month_bounds("2026-10"), month_bounds("2026-10")[1])
    on_time = Difference("unit", "U1", "on_time", 2, 1)
    assert cases_behind(on_time, replayed, live, period, rules) == ("B",)
    rate = Difference("unit", "U1", "on_time_rate", 2 / 3, 1 / 3)
    assert cases_behind(rate, replayed, live, period, rules) == ("B",)
    score = Difference("unit", "U1", "scores.county-interim.score", 90.0, 80.0)
    assert cases_behind(score, replayed, live, period, rules) == ("B",)  # the states differ
    assert cases_behind(Difference("region", "R", "filed", 1, 2), replayed, live, period, rules) == ()


def test_rejected_events_are_compared_except_invalid_lines() -> None:
    def rejected(*pairs: tuple[str, str]) -> dict[str, object]:
        return {"units": {}, "regions": {}, "rejected": [{"event_id": e, "reason": r} for e, r in pairs]}

    same = rejected(("e1", "not_reported"), ("e2", "too_late"))
    assert compare(same, same) == []
    assert compare(rejected(("e1", "not_reported"), ("l9", "invalid")), rejected(("e1", "not_reported"))) == []
    assert compare(rejected(("e1", "not_reported"), ("e2", "too_late")), rejected(("e2", "duplicate_close"))) == [
        Difference("rejected", "e1", "reason", "not_reported", None),
        Difference("rejected", "e2", "reason", "too_late", "duplicate_close")]
    assert compare(rejected(("e1", "x")), {"units": {}, "regions": {}}) == []  # a side that does not list them
    text = render(compare(rejected(("e1", "x")), rejected()), "h")
    assert "1 rejected event(s)" in text and "rejected e1  reason: replay 'x'  live null" in text
