"""The scripted fault scenario (tools/fault_scenario.py) end to end, at a small size: every fault is
injected while the month streams in, and every check passes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tools import fault_scenario

pytestmark = pytest.mark.e2e


def test_fault_scenario_keeps_every_event_and_alert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"):  # it starts (and stops) its own
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "faults.json"
    code = fault_scenario.main(["--cases", "90", "--feed-seconds", "100", "--gap", "2", "--out", str(out)])
    report = json.loads(out.read_text())
    outcome = report["outcome"]
    assert [f["fault"] for f in report["faults"]][-3:] == [
        "Kafka broker stopped and restarted", "PostgreSQL stopped and restarted", "webhook receivers answer 500"]
    assert all(f["feeding"] for f in report["faults"]), report["faults"]
    assert outcome["lost"] == 0 and outcome["never_acknowledged"] == 0, outcome
    assert all(outcome["indicators_equal_replay"].values()), outcome
    assert outcome["duplicate_alert_ids"] == 0 and outcome["receiver_copies_unflagged_twice"] == 0, outcome
    assert outcome["receiver_500s"] > 0 and outcome["deliveries"].keys() == {"delivered"}, outcome
    assert code == 0 and outcome["passed"]
    assert os.environ.get("KAFKA_BOOTSTRAP_SERVERS") is None
