"""county-interim 第十一条 as an option (domain.cross_month): an extended or suspended assignment that
crosses a month is due in the month of dispatch and disposed in the month of disposal. Off by default;
on, the same in the one-process fold and the parallel replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import parse_directory
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import replay
from caseflow.replay.parallel import replay_file
from tests.support.events import ev, lines

UNITS = parse_directory({"units": [{"id": "U1", "class": 1}, {"id": "U2", "class": 1}]}, "test")
DAYS2 = {"time_limit": {"value": 2, "unit": "working_days"}}
KEYS = ("dispatched", "due", "disposed", "on_time", "overdue_open", "pending")


def extended_across(disposed_at: str | None, unit: str = "U1", case: str = "X") -> list[dict[str, Any]]:
    """Dispatched 10-29, extended by 10 working days (deadline 11-16 09:00), disposed at `disposed_at`."""
    e = [ev("reported", case, "2026-10-29 08:00"), ev("filed", case, "2026-10-29 08:30"),
         ev("dispatched", case, "2026-10-29 09:00", unit=unit, **DAYS2),
         ev("extended", case, "2026-10-29 10:00", unit=unit, extra={"value": 10, "unit": "working_days"})]
    if disposed_at:
        e.append(ev("disposed", case, disposed_at, unit=unit))
    return e


def other() -> list[dict[str, Any]]:  # an ordinary case of U1 in each month, disposed on time
    return [ev(k, c, at, **extra) for c, day in (("O10", "10-12"), ("O11", "11-12"))
            for k, at, extra in (("reported", f"2026-{day} 08:00", {}),
                                 ("dispatched", f"2026-{day} 09:00", {"unit": "U1", **DAYS2}),
                                 ("disposed", f"2026-{day} 10:00", {"unit": "U1"}))]


def schemes_with(tmp_path: Path, on: bool):  # type: ignore[no-untyped-def]
    (tmp_path / "c.yaml").write_text(
        "id: county-interim\nrank_within: class\n" + ("cross_month: true\n" if on else "")
        + "terms:\n  - {weight: 70, key: disposal_rate}\n  - {weight: 30, key: on_time_rate}\n", "utf-8")
    return load_schemes(tmp_path)


def month(events: list[dict[str, Any]], name: str, rules: Rules, schemes):  # type: ignore[no-untyped-def]
    return replay(lines(events), make_period(name, None, None, None), rules, UNITS, schemes)


@pytest.mark.parametrize(("disposed_at", "october", "november"), [
    # disposed in November, on time: October due (not disposed), November disposed on time
    ("2026-11-10 10:00", 70 * 1 / 2 + 30 * 1 / 2, 70 * 2 / 1 + 30 * 2 / 1),
    # not disposed yet: October due; November: only its own case
    (None, 70 * 1 / 2 + 30 * 1 / 2, 100.0),
    # disposed late (after 11-16 09:00): counted disposed, not on time, in November
    ("2026-11-20 10:00", 70 * 1 / 2 + 30 * 1 / 2, 70 * 2 / 1 + 30 * 1 / 1),
    # disposed within October: it does not cross; counted as usual
    ("2026-10-30 10:00", 100.0, 100.0),
])
def test_scores_under_the_option(tmp_path: Path, rules: Rules, disposed_at: str | None, october: float,
                                 november: float) -> None:
    events = other() + extended_across(disposed_at)
    on = schemes_with(tmp_path, True)
    assert month(events, "2026-10", rules, on).scores["county-interim"]["U1"]["score"] == pytest.approx(october)
    assert month(events, "2026-11", rules, on).scores["county-interim"]["U1"]["score"] == pytest.approx(november)


def test_off_by_default_and_the_indicators_stay_as_defined(tmp_path: Path, rules: Rules) -> None:
    events = other() + extended_across("2026-11-10 10:00")
    off, on = schemes_with(tmp_path, False), schemes_with(tmp_path, True)
    assert load_schemes()["county-interim"].cross_month is False
    oct_off, oct_on = month(events, "2026-10", rules, off), month(events, "2026-10", rules, on)
    # off: the extended case is pending at October's end (deadline in November): 1 due, 1 disposed
    assert oct_off.scores["county-interim"]["U1"]["score"] == pytest.approx(100.0)
    assert {k: oct_on.indicators.units["U1"][k] for k in KEYS} == {k: oct_off.indicators.units["U1"][k] for k in KEYS}
    assert oct_on.indicators.units["U1"]["pending"] == 1


def test_a_suspension_crosses_too_and_a_late_extension_does_not(tmp_path: Path, rules: Rules) -> None:
    on = schemes_with(tmp_path, True)
    suspended = [ev("reported", "S", "2026-10-29 08:00"),
                 ev("dispatched", "S", "2026-10-29 09:00", unit="U1", **DAYS2),
                 ev("suspended", "S", "2026-10-29 10:00", unit="U1"), ev("resumed", "S", "2026-11-03 10:00", unit="U1"),
                 ev("disposed", "S", "2026-11-03 11:00", unit="U1")]
    assert month(suspended, "2026-10", rules, on).scores["county-interim"]["U1"]["score"] == pytest.approx(0.0)
    late = [ev("reported", "L", "2026-10-29 08:00"), ev("dispatched", "L", "2026-10-29 09:00", unit="U1", **DAYS2),
            ev("extended", "L", "2026-11-02 08:30", unit="U1", extra={"value": 5, "unit": "working_days"})]
    # extended only in November: it does not cross; October sees it pending (deadline 11-02 09:00), none due
    result = month(late, "2026-10", rules, on)
    assert (result.indicators.units["U1"]["pending"], result.indicators.units["U1"]["due"]) == (1, 0)
    assert result.scores["county-interim"]["U1"] == {"score": 100.0, "rank": None}


def test_parallel_replay_agrees(tmp_path: Path, rules: Rules) -> None:
    from caseflow.config.units import load_directory
    from caseflow.sample.generate import Shape, generate, units_yaml

    shape = Shape(cases=600, units=6, regions=2, seed=11)
    (tmp_path / "units.yaml").write_text(units_yaml(shape), "utf-8")
    directory = load_directory(tmp_path / "units.yaml")
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(generate(shape)) + b"\n".join(lines(extended_across(None, "U-000", "XC"))) + b"\n")
    schemes_dir = tmp_path / "schemes"
    schemes_dir.mkdir()
    on = schemes_with(schemes_dir, True)
    period = make_period("2026-10", None, None, None)
    one = replay(path.read_bytes().splitlines(), period, rules, directory, on)
    many = replay_file(path, period, rules, directory, on, workers=2)
    assert not isinstance(many, str), many
    assert many.scores == one.scores
    off = replay(path.read_bytes().splitlines(), period, rules, directory, schemes_with(schemes_dir, False))
    assert one.scores["county-interim"] != off.scores["county-interim"]  # the generated month has crossings
