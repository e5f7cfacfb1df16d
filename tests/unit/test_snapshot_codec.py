"""Case snapshots survive the trip through JSON unchanged (dispatch encodes, scoring decodes)."""

from __future__ import annotations

import msgspec
import orjson

from caseflow.contract import snapshot
from caseflow.domain.rules import Rules
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate


def test_round_trip_of_a_generated_month(rules: Rules) -> None:
    book = CaseBook(rules)
    for seq, line in enumerate(generate(Shape(cases=150, seed=11))):
        book.add_raw(line, seq)
    for state in book.cases():
        raw = snapshot.encode(state, 3)
        assert orjson.loads(raw)["case"] == orjson.loads(orjson.dumps(msgspec.to_builtins(state)))
        assert snapshot.decode(raw) == (3, state)
