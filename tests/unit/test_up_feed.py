"""`caseflow up`'s sample: cases falling due in the next minutes, valid contract events spread over
the operator's own units; a units file without units is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import orjson

from caseflow.contract.mapping import Invalid, parse
from caseflow.instants import SHANGHAI
from caseflow_devstack.up import due_soon, unit_list


def test_cases_fall_due_over_the_next_minutes_across_the_units() -> None:
    now = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    lines = due_soon(["U-A", "U-B", "U-C"], 6, now)
    events = [parse(line, i) for i, line in enumerate(lines)]
    assert not [e for e in events if isinstance(e, Invalid)]
    dispatched = [orjson.loads(line) for line in lines if b'"dispatched"' in line]
    assert sorted({d["data"]["unit"] for d in dispatched}) == ["U-A", "U-B", "U-C"]
    deadlines = sorted(datetime.fromisoformat(d["data"]["deadline_at"]) for d in dispatched)
    assert now + timedelta(minutes=1) < deadlines[0] and deadlines[-1] < now + timedelta(minutes=10)
    assert all(orjson.loads(line)["data"].get("description") for line in lines if b'"reported"' in line)


def test_the_operators_units_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("units:\n  - {id: U-HW-LP, name: 临平街道环卫所, class: 1}\n  - {id: U-2, class: 2}\n", "utf-8")
    assert unit_list(path) == [("U-HW-LP", "临平街道环卫所"), ("U-2", "U-2")]
    path.write_text("regions: []\n", "utf-8")
    assert unit_list(path) == []
