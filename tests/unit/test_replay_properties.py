"""Invariants of replay on generated months (Hypothesis picks the month and the perturbation)."""

from __future__ import annotations

import random
from datetime import datetime

import msgspec
import orjson
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.config.schemes import load_schemes
from caseflow.config.units import parse_directory
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.caselog import CaseLog, record, record_all
from caseflow.domain.events import CaseEvent
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import replay
from caseflow.replay.output import as_document
from caseflow.sample.generate import Shape, generate, units_yaml

PERIOD = make_period("2026-10", None, None, None)
SCHEMES = load_schemes()


def month(seed: int) -> tuple[list[bytes], object]:
    shape = Shape(cases=60, units=5, regions=2, seed=seed)
    directory = parse_directory(yaml.safe_load(units_yaml(shape)), "generated")
    return list(generate(shape)), directory


def document(rules: Rules, lines: list[bytes], directory) -> dict:  # type: ignore[no-untyped-def]
    doc = as_document(replay(lines, PERIOD, rules, directory, SCHEMES))
    doc["rejected"] = sorted(orjson.dumps(r) for r in doc["rejected"])
    return doc


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6))
def test_counts_add_up(rules: Rules, seed: int) -> None:
    lines, directory = month(seed)
    for unit, row in replay(lines, PERIOD, rules, directory, SCHEMES).indicators.units.items():
        assert row["dispatched"] == row["due"] + row["pending"], unit
        assert row["due"] == row["disposed"] + row["overdue_open"], unit
        assert row["disposed"] == row["on_time"] + row["late_disposed"], unit
        assert row["closed_on_time"] <= min(row["closed"], row["on_time"]), unit


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_reordering_within_the_lateness_bound_changes_nothing(rules: Rules, seed: int, rnd: random.Random) -> None:
    lines, directory = month(seed)

    shifts: dict[tuple[str, float], float] = {}

    def jittered(line: bytes) -> float:
        event = orjson.loads(line)
        at = datetime.fromisoformat(event["occurred_at"]).timestamp()
        # The generator delays up to 5 min: 4 more stays under 10. Events of a case at the same
        # instant are applied in arrival order (rules §2), so they move together and keep theirs
        # (the sort is stable): seed 356661 dispatched and disposed one case in the same second.
        return at + shifts.setdefault((event["case_id"], at), rnd.uniform(0, 240))

    first_seen: dict[bytes, int] = {}
    for i, line in enumerate(lines):
        first_seen.setdefault(line, i)
    originals = [line for i, line in enumerate(lines) if first_seen[line] == i]
    shuffled = sorted(originals, key=jittered)
    assert document(rules, shuffled, directory) == document(rules, originals, directory)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_duplicated_events_change_nothing(rules: Rules, seed: int, rnd: random.Random) -> None:
    lines, directory = month(seed)
    noisy = list(lines)
    for _ in range(len(lines) // 5):
        i = rnd.randrange(len(lines))
        noisy.insert(rnd.randrange(noisy.index(lines[i]) + 1, len(noisy) + 1), lines[i])
    assert document(rules, noisy, directory) == document(rules, lines, directory)


def _nonsense(rnd: random.Random, lines: list[bytes], n: int) -> list[tuple[int, bytes]]:
    """Semantically impossible events (SPEC section 2), each placed right after a real event of its case
    that occurred within the period (a later one is past the as-of instant: not applied, not rejected)."""
    within = [i for i, line in enumerate(lines) if _epoch(line) * 1000 < PERIOD.as_of]
    out = []
    for k in range(n):
        i = rnd.choice(within)
        real = orjson.loads(lines[i])
        at, case = real["occurred_at"], real["case_id"]
        kind = rnd.choice(["wrong_unit", "unknown_case", "rework_undisposed", "resume_unsuspended"])
        event: dict[str, object] = {"event_id": f"nonsense-{k}", "case_id": case, "occurred_at": at}
        if kind == "wrong_unit":
            event.update(type="disposed", data={"unit": "U-NOBODY"})
        elif kind == "unknown_case":
            event.update(case_id=f"GHOST-{k}", type="closed", data={})
        elif kind == "rework_undisposed":
            event.update(type="reworked", data={"unit": "U-NOBODY"})
        else:
            event.update(type="resumed", data={"unit": "U-NOBODY"})
        out.append((i + 1, orjson.dumps(event) + b"\n"))
    return out


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_semantic_nonsense_is_rejected_and_leaves_every_indicator_unchanged(rules: Rules, seed: int,
                                                                           rnd: random.Random) -> None:
    lines, directory = month(seed)
    noisy = list(lines)
    inserted = _nonsense(rnd, lines, 12)
    for position, line in sorted(inserted, reverse=True):
        noisy.insert(position, line)
    clean, dirty = document(rules, lines, directory), document(rules, noisy, directory)
    assert {k: dirty[k] for k in ("period", "units", "regions")} == {k: clean[k] for k in ("period", "units",
                                                                                         "regions")}
    rejected = {orjson.loads(r)["event_id"] for r in dirty["rejected"]}
    assert {orjson.loads(line)["event_id"] for _, line in inserted} <= rejected


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.randoms(use_true_random=False), st.sampled_from([0, 240, 1800]))
def test_recording_a_case_at_once_equals_recording_its_events_one_by_one(
        rules: Rules, seed: int, rnd: random.Random, jitter: int) -> None:
    """record_all (the bucketed replay's fold) leaves exactly the log record leaves, whether events come
    in order, late within the bound (re-folded) or too late (refused): jitter of 0, 4 or 30 minutes, and
    each case's first event sent again at the end."""
    lines, _ = month(seed)
    by_case: dict[str, list[CaseEvent]] = {}
    for seq, line in enumerate(sorted(lines, key=lambda raw: rnd.uniform(0, jitter) + _epoch(raw))):
        event = parse(line, seq)
        assert not isinstance(event, Invalid)
        by_case.setdefault(event.case_id, []).append(event)
    outcomes = set()
    for events in by_case.values():  # and the first event again, last: too late once the case went on
        events.append(msgspec.structs.replace(events[0], event_id=f"{events[0].event_id}-again", seq=10**9))
        one_by_one = CaseLog()
        for event in events:
            one_by_one, outcome = record(one_by_one, event, rules)
            outcomes.add(outcome)
        assert record_all(CaseLog(), events, rules) == one_by_one
        half = len(events) // 2  # from a log that already has steps
        assert record_all(record_all(CaseLog(), events[:half], rules), events[half:], rules) == one_by_one
    assert "too_late" in outcomes


def _epoch(line: bytes) -> float:
    return datetime.fromisoformat(orjson.loads(line)["occurred_at"]).timestamp()
