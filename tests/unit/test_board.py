"""The unit board's traffic light is the domain's (rules §3), not a second rule: for every open case of
generated months, at instants after its last event, the board's light equals `traffic_light`."""

from __future__ import annotations

import asyncio

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from caseflow.domain.deadlines import traffic_light
from caseflow.domain.rules import Rules
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate
from caseflow_notify.board import board_case, light
from tests.support.events import ms


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 30 * 86_400_000))
def test_the_boards_light_is_the_domains(rules: Rules, seed: int, later: int) -> None:
    book = CaseBook(rules)
    for seq, line in enumerate(generate(Shape(cases=60, units=4, regions=2, seed=seed))):
        book.add_raw(line, seq)
    now = ms("2026-11-01 00:00") + later  # after every event of the October month
    checked = 0
    for state in book.cases():
        case = board_case(state, rules)
        if case is None or not case.open or state.current is None:
            continue
        row = {"suspended": case.suspended, "deadline_ms": case.deadline, "warning_ms": case.warning_at}
        assert light(row, now) == traffic_light(state.current, now, rules.warning_fraction, rules.calendar), \
            state.case_id
        checked += 1
    assume(checked > 0)  # a month whose cases all ended has nothing to compare (all such: Unsatisfiable)


def test_suspended_early_stays_green_and_a_zero_limit_is_yellow_at_once(rules: Rules) -> None:
    from tests.support.events import ev
    from tests.unit.test_alerts import state

    early = state(rules, [ev("reported", "S", "2026-10-12 08:00"),
                          ev("dispatched", "S", "2026-10-12 09:00", unit="U1",
                             time_limit={"value": 4, "unit": "hours"}),
                          ev("suspended", "S", "2026-10-12 09:30", unit="U1")])
    zero = state(rules, [ev("reported", "Z", "2026-10-12 18:50"),
                         ev("dispatched", "Z", "2026-10-12 19:00", unit="U1", deadline_at="2026-10-12T19:30:00+08:00")])
    for case, at in ((early, "2026-10-20 10:00"), (zero, "2026-10-12 19:10")):
        board = board_case(case, rules)
        assert board is not None and case.current is not None
        row = {"suspended": board.suspended, "deadline_ms": board.deadline, "warning_ms": board.warning_at}
        now = ms(at)
        assert light(row, now) == traffic_light(case.current, now, rules.warning_fraction, rules.calendar)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.none() | st.integers(0, 100), st.none() | st.integers(0, 100), st.booleans()),
                max_size=6), st.integers(0, 100))
def test_no_light_turns_before_the_next_change_and_one_turns_at_it(rows: list[tuple[int | None, int | None, bool]],
                                                                   now: int) -> None:
    """The feed pushes the board again at `next_change`: it must be the first moment any light differs."""
    from caseflow_notify.board import next_change

    board = [{"warning_ms": w, "deadline_ms": d, "suspended": s} for w, d, s in rows]
    lights = [light(r, now) for r in board]
    turn = next_change(board, now)
    for t in range(now, 102 if turn is None else turn):
        assert [light(r, t) for r in board] == lights, t
    if turn is not None:
        assert [light(r, turn) for r in board] != lights


async def test_the_feed_sends_the_board_again_when_a_light_turns_without_any_event() -> None:
    from caseflow_notify.board_api import board_stream

    clock = [1_000]
    loads = []

    async def load() -> dict[str, object]:
        loads.append(clock[0])
        return {"now_ms": clock[0], "next_change_ms": 1_500 if clock[0] < 1_500 else None}

    async def version() -> int:
        return 7  # nothing changes in the store

    stream = board_stream(load, version, lambda: clock[0], poll=0, keep_alive=3600)
    assert b"event: board" in await anext(stream)
    clock[0] = 1_499
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.01)
    assert not pending.done() and loads == [1_000]  # polled, no light turned: nothing sent
    clock[0] = 1_500
    assert b'"now_ms":1500' in await asyncio.wait_for(pending, 1)
    assert loads == [1_000, 1_500]
    await stream.aclose()
