"""The partitioner's inlined byte searches (compact files and spelled ones) place every event where
`bucket_of` does, and `bucket_of` places every event by its top-level case id, whatever the spelling:
whitespace around the colon, key order, escapes in keys, ids or elsewhere. A broken line is kept (in
`bucket_of`'s bucket, or parsed and put in bucket 0: its bucket does not matter, the fold reports it by
its line number)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.domain.rules import Rules
from caseflow.replay import buckets, line_bucket, placement
from caseflow.replay.buckets import Job, partition
from caseflow.replay.line_bucket import bucket_of, case_bucket
from caseflow.sample.spellings import escaped

BUCKETS = 16
WHITESPACE = st.text(alphabet=" \t\r\n", max_size=3)
IDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
OTHER_VALUES = st.one_of(st.integers(), st.text(max_size=8), st.just({"case_id": "nested"}))
# The key as written: plain mostly, else with some of its letters as `\u00XX` (hex either case).
KEYS = st.sampled_from(['"case_id"'] * 3 + ['"\\u0063ase_id"', '"case\\u005Fid"', '"case\\u005fid"',
                                             '"\\u0063\\u0061\\u0073\\u0065\\u005f\\u0069\\u0064"'])


@st.composite
def lines(draw: st.DrawFn, spaced: bool) -> bytes:
    case_id = draw(IDS)
    separators = None if spaced else (",", ":")
    fields = [(json.dumps(k), json.dumps(v, ensure_ascii=draw(st.booleans()), separators=separators))
              for k, v in draw(st.dictionaries(st.sampled_from(["event_id", "note", "data"]), OTHER_VALUES,
                                               max_size=3)).items()]
    value = escaped(case_id) if draw(st.booleans()) and draw(st.booleans()) else json.dumps(
        case_id, ensure_ascii=draw(st.booleans()))
    fields.insert(draw(st.integers(0, len(fields))), (draw(KEYS), value))
    space = (lambda: draw(WHITESPACE)) if spaced else (lambda: "")
    text = "{" + ",".join(f"{space()}{k}{space()}:{space()}{v}" for k, v in fields) + "}"
    raw = text.encode()
    cut = draw(st.one_of(st.none(), st.integers(1, len(raw))))  # a broken line now and then
    return raw if cut is None else raw[:cut]


def top_level_bucket(line: bytes) -> int | None:
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return case_bucket(event["case_id"].encode(), BUCKETS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=st.booleans().flatmap(lambda spaced: st.lists(lines(spaced), min_size=1, max_size=40)))
def test_partition_places_each_line_where_bucket_of_does(tmp_path: Path, rules: Rules, sample: list[bytes]) -> None:
    sample = [line.replace(b"\n", b" ") for line in sample]  # one event per line (whitespace stays whitespace)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(sample) + b"\n")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    for old in work.iterdir():
        old.unlink()
    job = Job(path, work, 0, 1, BUCKETS, 0, path.stat().st_size, (), rules, (), ())
    partition(job, SimpleNamespace(value=0))
    placed = {line: b for b in range(BUCKETS) for line in (work / f"0-{b}.jsonl").read_bytes().split(b"\n")[:-1]}
    for line in sample:
        parsed = top_level_bucket(line)
        if parsed is not None:
            assert placed[line] == bucket_of(line, BUCKETS) == parsed, line
        elif line.strip():  # kept, wherever it lands: the fold reports it by its line number
            assert placed[line] in {bucket_of(line, BUCKETS), 0}, line


@pytest.mark.parametrize("chunk", [7, 16, 64, 1 << 20])
@pytest.mark.parametrize("colon", [b":", b": ", b" : "])  # compact, as json.dumps writes it, spaced
def test_an_escaped_key_is_seen_whichever_chunk_it_falls_in(tmp_path: Path, rules: Rules, chunk: int, colon: bytes,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a chunk may hold a key written with escapes is decided per chunk: a line begun in one
    chunk and ended in the next is searched whole, so its escaped top-level key is seen (compact or
    spaced, among compact or spaced lines) and it is placed by its own id, not the nested one's."""
    monkeypatch.setattr(buckets, "_CHUNK", chunk)
    odd = b'{"\\u0063ase_id"%s"C-1", "data"%s{"case_id"%s"elsewhere"}}' % (colon, colon, colon)
    sample = [b'{"event_id"%s"e%d", "case_id"%s"C-%d"}' % (colon, i, colon, i) for i in range(2, 9)]
    sample.insert(3, odd)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(sample) + b"\n")
    job = Job(path, tmp_path, 0, 1, BUCKETS, 0, path.stat().st_size, (), rules, (), ())
    partition(job, SimpleNamespace(value=0))
    placed = {line: b for b in range(BUCKETS) for line in (tmp_path / f"0-{b}.jsonl").read_bytes().split(b"\n")[:-1]}
    assert placed[odd] == case_bucket(b"C-1", BUCKETS) != case_bucket(b"elsewhere", BUCKETS)
    assert all(placed[line] == bucket_of(line, BUCKETS) for line in sample)


@pytest.mark.parametrize("case_id", ["中文-1", "café-m²", 'say "hi"', "back\\slash", "ends\\", "\\\"", "tab\there",
                                     "\u0001"])
@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_an_escaped_id_is_placed_without_parsing_its_line(case_id: str, separators: tuple[str, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the id's string is decoded (the line's first unescaped quote after it ends it), by every
    search: the whole-line parse is not needed, and the bucket is the parsed id's."""
    line = json.dumps({"event_id": "e-1", "case_id": case_id, "data": {"note": 'a "quoted" \\ note'}},
                      separators=separators).encode()
    assert b"\\" in line.split(b'"case_id"')[1].split(b",")[0]
    expected = top_level_bucket(line)

    def refused(line: bytes, buckets: int) -> int:
        raise AssertionError(f"parsed the whole line {line!r}")
    monkeypatch.setattr(line_bucket, "parsed_bucket", refused)
    monkeypatch.setattr(placement, "parsed_bucket", refused)
    assert bucket_of(line, BUCKETS) == expected
    pending: list[list[bytes]] = [[] for _ in range(BUCKETS)]
    seqs = [placement.array("q") for _ in range(BUCKETS)]
    names = line.count(b'"case_id"')
    key = line_bucket.KEY if separators[1] == ":" else line_bucket.KEY_SPACED
    assert placement.place_keyed([line], BUCKETS, pending, seqs, 0, key, False, names) == 1
    assert placement.place_keyed([line], BUCKETS, pending, seqs, 1, line_bucket.KEY, False, names) == 2
    assert placement.place_spelled([line], BUCKETS, pending, seqs, 2, line_bucket.KEY_ESCAPE.search(line) is not None,
                                  names) == 3
    assert [seqs[expected].tolist()] == [[0, 1, 2]]


@pytest.mark.parametrize("colon", [b":", b" : "])
def test_a_nested_case_id_before_the_top_level_one_is_not_taken_for_it(tmp_path: Path, rules: Rules,
                                                                        colon: bytes) -> None:
    """Each placed line is taken to hold `"case_id"` once and the chunk's count checks it: a line that
    holds it twice (a nested one first) makes the chunk be placed again, each line counted."""
    odd = b'{"data"%s{"case_id"%s"elsewhere"}, "case_id"%s"C-1"}' % (colon, colon, colon)
    sample = [b'{"event_id"%s"e%d", "case_id"%s"C-%d"}' % (colon, i, colon, i) for i in range(2, 40)]
    sample.insert(5, odd)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(sample) + b"\n")
    job = Job(path, tmp_path, 0, 1, BUCKETS, 0, path.stat().st_size, (), rules, (), ())
    assert partition(job, SimpleNamespace(value=0)) == len(sample)
    placed = {(b, line) for b in range(BUCKETS) for line in (tmp_path / f"0-{b}.jsonl").read_bytes().split(b"\n")[:-1]}
    assert len(placed) == len(sample)
    assert (case_bucket(b"C-1", BUCKETS), odd) in placed and case_bucket(b"C-1", BUCKETS) != case_bucket(
        b"elsewhere", BUCKETS)
    assert all((bucket_of(line, BUCKETS), line) in placed for line in sample)
