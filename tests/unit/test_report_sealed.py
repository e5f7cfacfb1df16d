"""A report of a closed month: the record given is checked, and the line the report carries says whether
its numbers are the signed ones."""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson
import pytest

from caseflow.config.schemes import ConfigError
from caseflow.replay.report_sealed import closed_record, seal

DOCUMENT = {"units": {"U-1": {"due": 3, "scores": {}}}, "regions": {}, "listings": {}}
RECORD = {"period": "2026-10", "content_hash": "sha256:ab", "closed_at": "2026-11-06T10:00:00+08:00",
          "document": DOCUMENT}


def args(closed: Path | None) -> argparse.Namespace:
    return argparse.Namespace(closed=closed, scoring_url=None, api_key=None)


def test_the_record_must_be_of_the_month_reported(tmp_path: Path) -> None:
    path = tmp_path / "closed.json"
    path.write_bytes(orjson.dumps(RECORD))
    assert closed_record(args(path), "2026-10") == RECORD
    with pytest.raises(ConfigError, match="is the record of 2026-10, not 2026-09"):
        closed_record(args(path), "2026-09")
    path.write_bytes(b'{"period": "2026-10"}')
    with pytest.raises(ConfigError, match="not a closed month's record"):
        closed_record(args(path), "2026-10")
    assert closed_record(args(None), "2026-10") is None


def test_equal_numbers_carry_the_hash_and_other_numbers_say_so() -> None:
    line, diffs = seal(RECORD, DOCUMENT)
    assert diffs == [] and "sha256:ab" in line and "数据与封存一致" in line
    moved = {**DOCUMENT, "units": {"U-1": {"due": 4, "scores": {}}}}
    line, diffs = seal(RECORD, moved)
    assert [(d.id, d.key, d.expected, d.actual) for d in diffs] == [("U-1", "due", 3, 4)]
    assert line.startswith("重算 recomputed: 1 处")
    assert seal(None, moved) == ("", [])
