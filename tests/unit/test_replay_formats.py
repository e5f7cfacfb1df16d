"""Any valid contract-v1 NDJSON replays on the parallel path, with the same result as the one-process
fold: whitespace anywhere JSON allows, any key order, escaped characters in ids and keys, CRLF line
ends, a UTF-8 byte order mark, blank lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import Directory, load_directory
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import ReplayResult, result_of
from caseflow.replay.line_bucket import bucket_of, case_bucket
from caseflow.replay.loading import fold
from caseflow.replay.output import as_document
from caseflow.replay.parallel import replay_file
from caseflow.replay.sources import Source
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow.sample.spellings import SPELLINGS, escaped, respelled

SHAPE = Shape(cases=300, units=6, regions=2, seed=7)
PERIOD = make_period("2026-10", None, None, None)


def write(path: Path, lines: list[bytes], fmt: str, crlf: bool = False, bom: bool = False, blanks: bool = False,
          seed: int = 1) -> None:
    path.write_bytes(b"".join(respelled(lines, fmt, crlf, bom, blanks, seed)))


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], Directory, Path]:
    d = tmp_path_factory.mktemp("formats")
    (d / "units.yaml").write_text(units_yaml(SHAPE), "utf-8")
    return list(generate(SHAPE)), load_directory(d / "units.yaml"), d


def one_process(path: Path, rules: Rules, directory: Directory) -> ReplayResult:
    [book] = fold(Source("file", path=path), [PERIOD.as_of], rules, progress=False)
    return result_of(book, PERIOD, rules, directory, load_schemes())


def numbers(result: ReplayResult) -> dict[str, Any]:
    """The document without the invalid lines' line numbers (blank lines move them)."""
    doc = as_document(result)
    doc["rejected"] = [{k: v for k, v in r.items() if k != "line"} for r in doc["rejected"]]
    return doc


@pytest.mark.parametrize("fmt", list(SPELLINGS))
@pytest.mark.parametrize(("crlf", "bom", "blanks"), [(False, False, False), (True, True, True)])
def test_every_spelling_replays_in_parallel_to_the_same_numbers(
        month: tuple[list[bytes], Directory, Path], rules: Rules, fmt: str, crlf: bool, bom: bool,
        blanks: bool) -> None:
    lines, directory, d = month
    reference = d / "compact.jsonl"
    if not reference.exists():
        write(reference, lines, "compact")
    expected = numbers(one_process(reference, rules, directory))
    path = d / f"{fmt}-{crlf}.jsonl"
    write(path, lines, fmt, crlf, bom, blanks)
    single = one_process(path, rules, directory)
    assert numbers(single) == expected
    for workers in (1, 2, 4):
        result = replay_file(path, PERIOD, rules, directory, load_schemes(), workers)
        assert isinstance(result, ReplayResult), f"{fmt}: fell back to one process: {result}"
        assert as_document(result) == as_document(single), (fmt, workers)


def test_one_odd_line_stays_on_the_parallel_path(month: tuple[list[bytes], Directory, Path], rules: Rules) -> None:
    lines, directory, d = month
    odd = list(lines)
    event = orjson.loads(odd[10])
    odd[10] = json.dumps(event).replace(f'"case_id": "{event["case_id"]}"',
                                        f'"\\u0063ase_id": {escaped(event["case_id"])}').encode() + b"\n"
    assert b"\\u0063ase_id" in odd[10]
    path = d / "odd.jsonl"
    path.write_bytes(b"".join(odd))
    result = replay_file(path, PERIOD, rules, directory, load_schemes(), 2)
    assert isinstance(result, ReplayResult), result
    assert as_document(result) == as_document(one_process(path, rules, directory))


@pytest.mark.parametrize("line", [
    b'{"case_id":"C-1","event_id":"e"}',
    b'{"event_id": "e", "case_id" : "C-1"}',
    b'{"event_id": "e", "case_id": "C-1"}',
    b'{"d":"\\u4e95 a\\\\b","case_id":"C-1"}',
    b'{"event_id":"e","case_id":"\\u0043-1"}',
    b'{"\\u0063ase_id":"C-1","data":{"case_id" : "X", "case_id":"Y"}}',
    b'{"data":{"case_id":"X"},"case_id":"C-1"}',
    b'{"note":"say \\"case_id\\":\\"X\\"","case_id":"C-1"}',
    b'\xef\xbb\xbf{"case_id":"C-1"}',
    b'{"case_id":\n"C-1"}\r',
    b'{"event_id": "e", "case_id"\t:\t"C-1"}',
    b'{"note": "\\u00e9", "case_id" : "C-1"}',
])
def test_each_spelling_of_a_case_id_lands_in_its_cases_bucket(line: bytes) -> None:
    assert bucket_of(line, 64) == case_bucket(b"C-1", 64)


@pytest.mark.parametrize("colon", [":", " : "])
def test_an_escaped_key_beside_a_nested_case_id_stays_parallel(
        month: tuple[list[bytes], Directory, Path], rules: Rules, colon: str) -> None:
    """A line whose top-level key is written with \\u escapes and that carries one nested plain
    `"case_id"`: the byte search would place it by the nested id; the chunk's key-escape check sends it
    to the parse, so the file stays on the parallel path with the one-process numbers (until session 11
    the fold caught the disagreement and folded the whole file in one process)."""
    lines, directory, d = month
    odd = list(lines)
    event = orjson.loads(odd[10])
    text = orjson.dumps({**event, "data": {**event["data"], "case_id": "elsewhere"}}).decode()
    case_id = event["case_id"]
    odd[10] = text.replace(f'"case_id":"{case_id}"', f'"\\u0063ase_id"{colon}"{case_id}"', 1).encode() + b"\n"
    odd[10] = odd[10].replace(b'"case_id":"elsewhere"', f'"case_id"{colon}"elsewhere"'.encode())
    assert odd[10].count(b'"case_id"') == 1 and b'"elsewhere"' in odd[10]
    path = d / "nested.jsonl"
    path.write_bytes(b"".join(odd))
    found = replay_file(path, PERIOD, rules, directory, load_schemes(), 2)
    assert isinstance(found, ReplayResult), f"fell back to one process: {found}"
    assert as_document(found) == as_document(one_process(path, rules, directory))


@pytest.mark.parametrize("line", [b"", b"not json", b"[1,2]", b'{"case_id": 5}', b'{"event_id":"e"}',
                                  b'{"case_id": 5, "x": "C-1"}', b'{"case_id":}', b'{"case_id":"C-1'])
def test_a_line_without_a_case_goes_to_bucket_0(line: bytes) -> None:
    assert bucket_of(line, 64) == 0
