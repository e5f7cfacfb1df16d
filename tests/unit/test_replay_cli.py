"""`caseflow replay` as a user runs it: golden output on a generated month, formats, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from caseflow.sample.generate import Shape, generate, units_yaml

GOLDEN = Path(__file__).parent.parent / "golden" / "replay-2026-10.json"


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("month")
    shape = Shape(cases=400, units=9, regions=3, seed=2026)
    (d / "units.yaml").write_text(units_yaml(shape), "utf-8")
    with (d / "events.jsonl").open("wb") as f:
        f.writelines(generate(shape))
    return d / "events.jsonl", d / "units.yaml"


def caseflow(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "caseflow.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_golden_month(month: tuple[Path, Path]) -> None:
    events, units = month
    out = caseflow("replay", "--input", events, "--units", units, "--period", "2026-10")
    assert out.returncode == 0, out.stderr
    doc = orjson.loads(out.stdout)
    if os.environ.get("CASEFLOW_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    assert doc == orjson.loads(GOLDEN.read_bytes())
    assert set(doc) == {"period", "units", "regions", "listings", "rejected"}
    assert doc["period"]["start"] == "2026-10-01T00:00:00+08:00"
    assert any(r["reason"] == "not_reported" for r in doc["rejected"])


def test_table_and_csv(month: tuple[Path, Path]) -> None:
    events, units = month
    table = caseflow("replay", "--input", events, "--units", units, "--period", "2026-10", "--format", "table")
    assert table.returncode == 0 and "按期处置率 on_time_rate" in table.stdout and "一类" in table.stdout
    csv = caseflow("replay", "--input", events, "--units", units, "--period", "2026-10", "--format", "csv")
    assert csv.returncode == 0 and csv.stdout.splitlines()[0].startswith("unit,dispatched,returned,due")
    assert len(csv.stdout.splitlines()) == 1 + 9


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2026-13"], "--period '2026-13': expected a month as YYYY-MM"),
    (["--period", "2026-W1"], "--period '2026-W1': expected a day, month, quarter or year"),
    (["--start", "2026-10-01"], "say which period"),
    (["--start", "yesterday", "--end", "2026-11-01"], "--start 'yesterday': expected ISO 8601"),
])
def test_bad_period_is_a_clear_error(month: tuple[Path, Path], args: list[str], message: str) -> None:
    events, units = month
    out = caseflow("replay", "--input", events, "--units", units, *args)
    assert out.returncode == 2 and message in out.stderr and out.stdout == ""


def test_missing_files_are_named(tmp_path: Path, month: tuple[Path, Path]) -> None:
    events, units = month
    out = caseflow("replay", "--input", events, "--units", tmp_path / "nope.yaml", "--period", "2026-10")
    assert out.returncode == 2 and "nope.yaml" in out.stderr
    out = caseflow("replay", "--input", tmp_path / "none.jsonl", "--units", units, "--period", "2026-10")
    assert out.returncode == 2 and "none.jsonl" in out.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("units:\n  - id: X\n    class: 7\n")
    out = caseflow("replay", "--input", events, "--units", bad, "--period", "2026-10")
    assert out.returncode == 2 and "`class` must be 1, 2 or 3" in out.stderr


def test_help_teaches() -> None:
    out = caseflow("replay", "--help")
    assert out.returncode == 0 and "examples:" in out.stdout and "--as-of" in out.stdout


def test_the_api_hears_of_its_own_parameter_not_a_command_line_flag() -> None:
    from caseflow.evaluation.periods import PeriodError, named_bounds

    with pytest.raises(PeriodError) as caught:
        named_bounds("2026-13")
    assert str(caught.value) == "period '2026-13': expected a month as YYYY-MM, e.g. 2026-10"
