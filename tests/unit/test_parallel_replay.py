"""A file replayed by several worker processes gives exactly the one-process result, and the run is
abandoned (and folded in one process) whenever splitting by case could change the answer."""

from __future__ import annotations

import io
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import Directory, load_directory
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.events import CaseEvent
from caseflow.domain.rules import Rules
from caseflow.evaluation.periods import make_period
from caseflow.replay import bucket_fold, buckets, line_bucket, loading, parallel
from caseflow.replay.engine import CaseBook, ReplayResult, repeated_hashes
from caseflow.replay.output import as_document
from caseflow.replay.sources import Source
from caseflow.sample.generate import Shape, generate, units_yaml

PERIOD = make_period("2026-10", None, None, None)
BUCKETS = 64


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], Directory, Path]:
    d = tmp_path_factory.mktemp("parallel")
    shape = Shape(cases=1500, units=12, regions=4, seed=77)
    (d / "units.yaml").write_text(units_yaml(shape), "utf-8")
    return list(generate(shape)), load_directory(d / "units.yaml"), d


def one_process(path: Path, rules: Rules, directory: Directory) -> bytes:
    result = loading.compute(Source("file", path), PERIOD, rules, directory, load_schemes(None), 1, False)
    return orjson.dumps(as_document(result))


def workers(path: Path, rules: Rules, directory: Directory, n: int) -> ReplayResult | str:
    return parallel.replay_file(path, PERIOD, rules, directory, load_schemes(None), n, buckets=BUCKETS)


def write(d: Path, name: str, lines: list[bytes]) -> Path:
    path = d / name
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize("n", [2, 3])
def test_workers_equal_one_process(month: tuple[list[bytes], Directory, Path], rules: Rules, n: int) -> None:
    lines, directory, d = month
    path = write(d, "month.jsonl", [*lines, b"{not json\n", b"\n", b'{"case_id":"x"}\n'])
    result = workers(path, rules, directory, n)
    assert isinstance(result, ReplayResult), result
    document = as_document(result)
    assert document["rejected"], "the generated month has rejections to merge"
    assert orjson.dumps(document) == one_process(path, rules, directory)


def test_partition_chunks_split_lines_anywhere(month: tuple[list[bytes], Directory, Path], rules: Rules,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lines, directory, d = month
    last = b'{"case_id":"tail","type":"closed"}'  # invalid, and with no newline after it
    path = write(d, "chunked.jsonl", [*lines[:700], b"  \r\n", *lines[700:], last])
    monkeypatch.setattr(buckets, "_CHUNK", 97)  # most lines cross a chunk's end
    result = workers(path, rules, directory, 2)
    assert isinstance(result, ReplayResult), result
    assert orjson.dumps(as_document(result)) == one_process(path, rules, directory)
    assert result.invalid[-1][0] == len(lines) + 1


def test_an_event_id_reused_by_another_case_abandons_the_split(
        month: tuple[list[bytes], Directory, Path], rules: Rules) -> None:
    lines, directory, d = month
    events = [orjson.loads(line) for line in lines]
    first = events[0]
    first_bucket = line_bucket.bucket_of(lines[0], BUCKETS)
    other = next(e for e in events if line_bucket.bucket_of(orjson.dumps(e), BUCKETS) != first_bucket)
    events.append({**other, "event_id": first["event_id"]})  # another case's event, a used id
    path = write(d, "reused.jsonl", [orjson.dumps(e) + b"\n" for e in events])
    assert workers(path, rules, directory, 2) == "an event_id was applied in two cases"
    single = one_process(path, rules, directory)
    # one process drops it as a duplicate; a worker that only knew its own cases' ids would apply it
    assert single == one_process(write(d, "plain.jsonl", lines), rules, directory)
    result = loading.compute(Source("file", path), PERIOD, rules, directory, load_schemes(None), 2, False)
    assert orjson.dumps(as_document(result)) == single


def test_an_event_id_reused_by_another_case_of_the_same_bucket_abandons_the_split(
        month: tuple[list[bytes], Directory, Path], rules: Rules) -> None:
    lines, directory, d = month
    events = [orjson.loads(line) for line in lines]
    first = events[0]
    other = next(e for e in events if e["case_id"] != first["case_id"]
                 and line_bucket.bucket_of(orjson.dumps(e), BUCKETS) == line_bucket.bucket_of(lines[0], BUCKETS))
    events.append({**other, "event_id": first["event_id"]})
    path = write(d, "reused-here.jsonl", [orjson.dumps(e) + b"\n" for e in events])
    assert workers(path, rules, directory, 2) == "an event_id was applied in two cases"


def test_a_book_filled_case_by_case_equals_one_filled_event_by_event(
        month: tuple[list[bytes], Directory, Path], rules: Rules) -> None:
    lines, _, _ = month
    resent = [*lines, lines[5], lines[9], lines[5]]  # duplicates within their case
    by_event, by_case = CaseBook(rules), CaseBook(rules)
    groups: dict[str, list[CaseEvent]] = {}
    for seq, line in enumerate(resent):
        by_event.add_raw(line, seq, PERIOD.as_of)
        event = parse(line, seq)
        assert not isinstance(event, Invalid)
        groups.setdefault(event.case_id, []).append(event)
    for events in groups.values():
        by_case.add_case(events, PERIOD.as_of)
    assert by_case.duplicates == by_event.duplicates > 3
    assert sorted(by_case.id_hashes) == sorted(by_event.id_hashes)
    assert by_case.logs == by_event.logs
    assert by_case.rejections(PERIOD.as_of) == by_event.rejections(PERIOD.as_of)


def respelled(line: bytes, case_id: str, spelling: str) -> bytes:
    if spelling == "escaped":  # the same id, its first character as a \\u escape
        return line.replace(f'"case_id":"{case_id}"'.encode(),
                            f'"case_id":"\\u{ord(case_id[0]):04x}{case_id[1:]}"'.encode())
    return line.replace(b'"case_id":"', b'"case_id": "')


@pytest.mark.parametrize("spelling", ["escaped", "spaced"])
def test_a_case_id_written_differently_lands_in_its_cases_bucket(
        month: tuple[list[bytes], Directory, Path], rules: Rules, spelling: str) -> None:
    """(Until the partitioner read any spelling, such a line was routed by its raw bytes to another
    bucket and the whole file fell back to one process.)"""
    lines, directory, d = month
    disposals = [line for line in lines if b'"type":"disposed"' in line]
    changed = list(lines)
    for target in disposals[:50]:
        case_id = orjson.loads(target)["case_id"]
        new = respelled(target, case_id, spelling)
        assert new != target and line_bucket.bucket_of(new, BUCKETS) == line_bucket.bucket_of(target, BUCKETS)
        changed[changed.index(target)] = new
    path = write(d, f"{spelling}.jsonl", changed)
    result = workers(path, rules, directory, 2)
    assert not isinstance(result, str), result
    assert orjson.dumps(as_document(result)) == one_process(write(d, "plain.jsonl", lines), rules, directory)


def test_compute_splits_large_files_only(month: tuple[list[bytes], Directory, Path], rules: Rules,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    lines, directory, d = month
    path = write(d, "month.jsonl", lines)
    calls: list[int] = []
    real = parallel.replay_file_periods

    def spy(*args: object, **kwargs: object) -> parallel.Replayed | str:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(parallel, "replay_file_periods", spy)
    small = loading.compute(Source("file", path), PERIOD, rules, directory, load_schemes(None), 2, False)
    assert calls == []
    monkeypatch.setattr(loading, "PARALLEL_FILE", 0)
    large = loading.compute(Source("file", path), PERIOD, rules, directory, load_schemes(None), 2, False)
    assert calls == [1]
    assert orjson.dumps(as_document(small)) == orjson.dumps(as_document(large))


def test_lean_books_equal_exact_ones_once_reused_ids_are_suspects(
        month: tuple[list[bytes], Directory, Path], rules: Rules) -> None:
    lines, _, _ = month
    events = [orjson.loads(line) for line in lines]
    reused = [*events, {**events[40], "event_id": events[3]["event_id"]}, {**events[7]}]  # other case; same case
    raw = [orjson.dumps(e) for e in reused]
    exact, lean = CaseBook(rules), CaseBook(rules, lean=True)
    for seq, line in enumerate(raw):
        exact.add_raw(line, seq)
        lean.add_raw(line, seq)
    suspects = repeated_hashes([lean.id_hashes])
    assert suspects == {hash(events[3]["event_id"])}
    assert lean.duplicates == exact.duplicates - 1  # the same-case resend is caught, the reuse is not
    again = CaseBook(rules, lean=True, suspects=suspects)
    for seq, line in enumerate(raw):
        again.add_raw(line, seq)
    assert (again.cases(), again.rejections(PERIOD.as_of), again.duplicates) == (
        exact.cases(), exact.rejections(PERIOD.as_of), exact.duplicates)
    assert repeated_hashes([again.id_hashes]) == frozenset()


def test_the_progress_bar_counts_the_file_once(month: tuple[list[bytes], Directory, Path], rules: Rules,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    lines, directory, d = month
    path = write(d, "month.jsonl", lines)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(loading, "PARALLEL_FILE", 0)
    monkeypatch.setattr(loading, "BIG_FILE", 0)
    loading.compute(Source("file", path), PERIOD, rules, directory, load_schemes(None), 2, True)
    shown = [line for line in terminal.getvalue().replace("\r", "\n").splitlines() if "%|" in line]
    percents = [int(line.split("%")[0].split()[-1]) for line in shown]
    assert percents and percents[-1] == 100 and max(percents) == 100, shown[-3:]


def test_workers_claim_each_bucket_once() -> None:
    claim = multiprocessing.get_context("fork").Value("q", 0)
    first, second = bucket_fold._claimed(claim, 5), bucket_fold._claimed(claim, 5)
    taken = [next(first), next(first), next(second), next(first), next(second)]
    assert taken == [0, 1, 2, 3, 4]
    assert list(first) == [] and list(second) == []


def test_several_periods_in_one_pass_equal_one_process(tmp_path: Path, rules: Rules,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """What a report asks for: months, a quarter and the month itself as of an instant inside it, with
    the last period's overdue and reworked cases, the same from the buckets as from the books."""
    shapes = [Shape(cases=400, units=6, regions=2, seed=60 + m, month=m) for m in (9, 10, 11)]
    (tmp_path / "units.yaml").write_text(units_yaml(shapes[0]), "utf-8")
    directory = load_directory(tmp_path / "units.yaml")
    path = write(tmp_path, "months.jsonl", [line for s in shapes for line in generate(s)])
    periods = [make_period("2026-09", None, None, None), make_period("2026-Q4", None, None, None),
               make_period("2026-11", None, None, None), make_period("2026-10", None, None, "2026-10-20T12:00")]
    schemes = load_schemes(None)
    one = loading.compute_periods(Source("file", path), periods, rules, directory, schemes, 1, False, case_lines=True)
    monkeypatch.setattr(loading, "PARALLEL_FILE", 0)
    for n in (1, 2, 4):
        many = loading.compute_periods(Source("file", path), periods, rules, directory, schemes, n, False,
                                       case_lines=True)
        assert [as_document(r) for r in many.results] == [as_document(r) for r in one.results], n
        assert (many.overdue, many.reworked) == (one.overdue, one.reworked)
    assert one.overdue and one.reworked and all(r.indicators.units for r in one.results)
    direct = parallel.replay_file_periods(path, periods, rules, directory, schemes, 2, case_lines=True)
    assert isinstance(direct, parallel.Replayed), direct  # the buckets' path, not a fall back


def test_workers_refuse_to_hash_unlike_their_parent() -> None:
    """Repeat keys are spread by Python's salted `hash`: only forked workers agree with the parent.
    The probe differs between interpreters (so the check can fire) and a worker checks it first."""
    from caseflow.replay.worker_messages import HASH_PROBE, Failed, Partitioned, check_same_hash, expect

    probe = "from caseflow.replay.worker_messages import HASH_PROBE; print(hash(HASH_PROBE))"
    seen = {subprocess.run([sys.executable, "-c", probe], env={**os.environ, "PYTHONHASHSEED": seed},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}
    assert len(seen) == 2
    check_same_hash(hash(HASH_PROBE))
    with pytest.raises(RuntimeError, match="must be forked"):
        check_same_hash(hash(HASH_PROBE) + 1)
    with pytest.raises(RuntimeError, match="worker failed:\nTraceback here"):
        expect(Failed("Traceback here"), Partitioned)
