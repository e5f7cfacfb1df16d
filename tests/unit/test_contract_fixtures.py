"""The contract files the tests use are the platform's, byte for byte, and validate as contract v1."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.contract.mapping import Invalid, parse
from tests.conftest import CONTRACT

SHARED = Path(__file__).resolve().parents[3] / "shared" / "contract"


@pytest.mark.parametrize("name", ["examples.jsonl", "units.example.yaml", "case-event.schema.json"])
def test_vendored_copy_matches_shared(name: str) -> None:
    if not SHARED.exists():
        pytest.skip("../shared is not beside this checkout")
    assert (CONTRACT / name).read_bytes() == (SHARED / name).read_bytes()


def test_example_case_is_valid() -> None:
    lines = (CONTRACT / "examples.jsonl").read_bytes().splitlines()
    assert len(lines) == 9
    assert not any(isinstance(parse(line, i), Invalid) for i, line in enumerate(lines))
