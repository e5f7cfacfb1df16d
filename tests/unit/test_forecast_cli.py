"""`caseflow forecast`: every assignment open at --as-of, riskiest first, as JSON lines with the facts behind
each number; events after --as-of are not read; bad input is refused naming the flag."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest

from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, units_yaml
from tests.unit.test_replay_cli import caseflow

AS_OF = "2026-11-16T10:00"
SHAPE = dict(cases=800, units=6, regions=2, unit_speeds=0.8)


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("forecast")
    (d / "units.yaml").write_text(units_yaml(Shape(units=6)), "utf-8")
    (d / "oct.jsonl").write_bytes(b"".join(generate(Shape(**SHAPE, month=10, seed=1))))  # type: ignore[arg-type]
    (d / "nov.jsonl").write_bytes(b"".join(generate(Shape(**SHAPE, month=11, seed=2))))  # type: ignore[arg-type]
    return d


def forecast(d: Path, *extra: str | Path, events: str = "nov.jsonl") -> list[dict[str, object]]:
    out = caseflow("forecast", "--input", d / events, "--history", d / "oct.jsonl", "--units", d / "units.yaml",
                   "--as-of", AS_OF, *extra)
    assert out.returncode == 0, out.stderr
    return [orjson.loads(line) for line in out.stdout.splitlines()]


def test_every_open_assignment_riskiest_first_with_why(months: Path) -> None:
    rows = forecast(months)
    assert len(rows) > 20
    assert all(set(r) == {"case_id", "unit_id", "dispatched_at", "deadline", "p_late", "why"} for r in rows)
    chances = [float(r["p_late"]) for r in rows]  # type: ignore[arg-type]
    assert chances == sorted(chances, reverse=True) and min(chances) >= 0 and max(chances) <= 1
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=SHANGHAI)
    assert all(datetime.fromisoformat(str(r["dispatched_at"])) <= as_of for r in rows)
    assert all(str(r["case_id"]).startswith("C202611") for r in rows)  # the input's cases, not the history's
    late = [r for r in rows if datetime.fromisoformat(str(r["deadline"])) <= as_of and r["p_late"] == 1.0]
    assert late and all("已超过处置时限" in str(r["why"]) for r in late)
    pending = next(r for r in rows if float(r["p_late"]) < 1.0)  # type: ignore[arg-type]
    assert "已用时限" in str(pending["why"]) and "件中" in str(pending["why"])


def test_events_after_the_instant_are_not_read(months: Path) -> None:
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=SHANGHAI)
    before = [line for line in (months / "nov.jsonl").read_bytes().splitlines()
              if datetime.fromisoformat(orjson.loads(line)["occurred_at"]) <= as_of]
    (months / "nov-cut.jsonl").write_bytes(b"\n".join(before) + b"\n")
    assert forecast(months, events="nov-cut.jsonl") == forecast(months)


def test_bad_input_is_refused_naming_the_flag(months: Path, tmp_path: Path) -> None:
    out = caseflow("forecast", "--input", months / "nov.jsonl", "--units", months / "units.yaml", "--as-of", "soon")
    assert out.returncode == 2 and "--as-of 'soon'" in out.stderr
    out = caseflow("forecast", "--input", tmp_path / "missing.jsonl", "--units", months / "units.yaml",
                   "--as-of", AS_OF)
    assert out.returncode == 2 and "--input" in out.stderr and "missing.jsonl" in out.stderr
    noisy = tmp_path / "noisy.jsonl"
    noisy.write_bytes((months / "nov.jsonl").read_bytes() + b'{"not": "an event"}\n')
    out = caseflow("forecast", "--input", noisy, "--units", months / "units.yaml", "--as-of", AS_OF)
    assert out.returncode == 0 and "1 lines were not valid events" in out.stderr
