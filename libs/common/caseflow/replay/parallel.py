"""Replay a large file in buckets of cases, on several cores, with the single-process result exactly.

1. Partition: each worker reads its share of the file (a byte range) and writes every line to a bucket
   file (`buckets_for` the size: ~4 MB each, up to 256) chosen by a hash of the case id as written
   (`"case_id":"...`), keeping line numbers.
2. Fold: each worker takes the next bucket left (until none is), parses its lines, groups them by
   case, folds each case's events in a row, counts the cases and lets them go, so memory holds one
   bucket of cases plus small per-case leftovers, not the whole month.
3. The parent adds the counts up. What crosses cases is settled there:
   - repeat cases: buckets keep each candidate with the units it would count for; the candidates are
     exchanged so that each worker holds all of some repeat keys, and it counts their repeats;
   - duplicate `event_id`s (first arrival wins, across the whole file): a case's ids are checked
     against each other, and a hash of every applied id is sent; a hash applied twice (two cases, of
     one bucket or two) abandons the run;
   - a line whose parsed case id belongs to another bucket (escapes, odd spacing, a nested key)
     abandons the run too.
An abandoned run returns the reason and the caller folds the file in one process, so the answer never
depends on how it was computed; the unit tests compare both on generated and adversarial files.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import tempfile
import time
import traceback
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from caseflow.config.units import Directory
from caseflow.contract.fast import fast_parse
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.events import CaseEvent
from caseflow.domain.indicators import Counts, Period, count, indicators_of, merged, repeat_units
from caseflow.domain.repeats import repeat_candidates, repeats_among
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.evaluate import numbers_of, wants_cross_month
from caseflow.replay.buckets import Job, Progress, buckets_for, case_bucket, part_paths, partition, ranges
from caseflow.replay.engine import CaseBook, ReplayResult, repeated_hashes

log = logging.getLogger(__name__)


# A month's candidates are most of its cases: msgpack carries them several times faster than pickle.
Candidate = tuple[tuple[str, str, str, str], int, str, tuple[str, ...]]  # repeat key, reported_at, case, units
_CANDIDATES = msgspec.msgpack.Encoder()
_CANDIDATES_OF = msgspec.msgpack.Decoder(list[Candidate])


@dataclass
class _Totals:
    """What a worker's buckets add up to."""

    counts: Counts
    candidates: list[Candidate]
    rejected: list[Any]
    invalid: list[tuple[int, Invalid]]
    id_hashes: array[int]
    misrouted: int = 0
    crossing: Counts = field(default_factory=lambda: Counts({}, {}))  # cross-month counts, when asked


def _fold_bucket(job: Job, bucket: int, line_offsets: list[int], totals: _Totals, done: Progress) -> None:
    # The bucket's lines are parsed and grouped by case, then folded case by case: two tight loops, with
    # one case's log at hand while its events are applied (640k-event month, one worker: fold phase
    # 6.9 s parsing and applying line by line). Ids are checked within their case; the hashes find an id
    # applied in two cases, of this bucket or another.
    book, p = CaseBook(job.rules), job.period
    groups: dict[str, list[CaseEvent]] = {}
    for worker in range(job.workers):
        lines_path, seq_path = part_paths(job, bucket, worker)
        numbers = np.fromfile(seq_path, dtype=np.int64) + line_offsets[worker]
        text = lines_path.read_bytes()  # every line ends with "\n" (see partition)
        plain = b"\\" not in text and b"\x7f" not in text
        for seq, raw in zip(numbers.tolist(), text.split(b"\n")[:-1], strict=True):
            event: CaseEvent | Invalid | None = fast_parse(raw, seq, plain)  # parse's first step, inlined
            if event is None:
                event = parse(raw + b"\n", seq)  # as written: pydantic's messages count lines
            if isinstance(event, Invalid):
                book.invalid.append((seq, event))
                continue
            group = groups.get(event.case_id)
            if group is not None:
                group.append(event)
                continue
            groups[event.case_id] = [event]
            if case_bucket(event.case_id.encode(), job.buckets) != bucket:
                totals.misrouted += 1
        done.value += len(text)
        lines_path.unlink()
        seq_path.unlink()
    for events in groups.values():
        book.add_case(events, p.as_of)
    del groups
    cases = book.cases()
    totals.counts = merged([totals.counts, count(cases, p, (), job.unit_ids, job.region_ids)])
    if job.cross_month:
        totals.crossing = merged([totals.crossing, count(cases, p, (), job.unit_ids, job.region_ids, True)])
    by_case = {case.case_id: case for case in cases}
    for key, reported_at, case_id in repeat_candidates(cases, p.start, p.end, p.as_of, job.rules.repeat_excluded_codes):
        totals.candidates.append((key, reported_at, case_id, repeat_units(by_case[case_id], p)))
    totals.rejected += book.rejections(p.as_of)
    totals.invalid += book.invalid
    totals.id_hashes.extend(book.id_hashes)


def _claimed(claim: Any, buckets: int) -> Iterator[int]:
    """The buckets this worker takes, one at a time, until none is left: a worker slowed down by the
    machine leaves more to the others instead of keeping them waiting."""
    while True:
        with claim.get_lock():
            bucket = claim.value
            claim.value += 1
        if bucket >= buckets:
            return
        yield bucket


def _work(job: Job, conn: Connection, done: Progress, claim: Any) -> None:
    try:
        conn.send(("partitioned", partition(job, done)))
        line_offsets = conn.recv()
        totals = _Totals(Counts({}, {}), [], [], [], array("q"))
        for bucket in _claimed(claim, job.buckets):
            _fold_bucket(job, bucket, line_offsets, totals, done)
        ids = np.frombuffer(totals.id_hashes, dtype=np.int64).copy()
        ids.sort()
        by_owner: list[list[Candidate]] = [[] for _ in range(job.workers)]
        for candidate in totals.candidates:  # one repeat key, one worker (forked workers hash alike)
            by_owner[hash(candidate[0]) % job.workers].append(candidate)
        conn.send(("folded", totals.counts, [_CANDIDATES.encode(c) for c in by_owner], totals.rejected,
                   totals.invalid, ids.tobytes(), totals.misrouted, totals.crossing))
        del totals, by_owner
        conn.send(("repeats", _repeat_counts(conn.recv())))
    except BaseException:  # the parent re-raises it with the worker's traceback
        conn.send(("error", traceback.format_exc()))


def _repeat_counts(parts: list[bytes]) -> dict[str, int]:
    """Per unit, the repeat cases counted for it, among the candidates of this worker's repeat keys."""
    candidates = list(chain.from_iterable(_CANDIDATES_OF.decode(part) for part in parts))
    units_of = {case_id: units for _, _, case_id, units in candidates}
    counts: dict[str, int] = {}
    for case_id in repeats_among((key, at, case_id) for key, at, case_id, _ in candidates):
        for unit in units_of[case_id]:
            counts[unit] = counts.get(unit, 0) + 1
    return counts


def _receive(conn: Connection, wait: Callable[[], None]) -> tuple[Any, ...]:
    while not conn.poll(0.2):
        wait()
    message: tuple[Any, ...] = conn.recv()
    if message[0] == "error":
        raise RuntimeError(f"replay worker failed:\n{message[1]}")
    return message


def abandon_reason(misrouted: int, id_hashes: list[bytes]) -> str | None:
    """Why the buckets' results cannot simply be added up, or None when they can."""
    if misrouted:
        return f"{misrouted} events would be routed to another bucket by their parsed case id"
    if repeated_hashes(id_hashes):
        return "an event_id was applied in two cases"
    return None


def replay_file(path: Path, period: Period, rules: Rules, directory: Directory, schemes: Mapping[str, Scheme],
                workers: int, on_progress: Callable[[int], None] | None = None,
                manual: Mapping[str, Mapping[str, float]] | None = None, buckets: int | None = None,
                ) -> ReplayResult | str:
    """The period's result, or the reason the caller must fold in one process. Progress counts the
    file's bytes twice: once partitioned, once folded. `buckets` defaults to `buckets_for` the size."""
    buckets = buckets or buckets_for(path.stat().st_size)
    ctx = multiprocessing.get_context("fork")  # the workers share this process's loaded code and config
    work = Path(tempfile.mkdtemp(prefix="caseflow-replay-"))
    dones = [ctx.Value("q", 0, lock=False) for _ in range(workers)]
    claim = ctx.Value("q", 0)  # the next bucket to fold
    pipes, procs = [], []
    try:
        for worker, (start, end) in enumerate(ranges(path, workers)):
            parent, child = ctx.Pipe()
            job = Job(path, work, worker, workers, buckets, start, end, period, rules, tuple(directory.units),
                       tuple(directory.regions), wants_cross_month(schemes))
            proc = ctx.Process(target=_work, args=(job, child, dones[worker], claim), daemon=True)
            proc.start()
            pipes.append(parent)
            procs.append(proc)

        def wait() -> None:
            if on_progress is not None:
                on_progress(sum(d.value for d in dones))
            for proc in procs:
                if proc.exitcode not in (None, 0):
                    raise RuntimeError(f"replay worker exited with {proc.exitcode}")

        started = time.monotonic()
        lines = [_receive(conn, wait)[1] for conn in pipes]
        partitioned = time.monotonic()
        offsets = [sum(lines[:i]) for i in range(workers)]
        for conn in pipes:
            conn.send(offsets)
        folded = [_receive(conn, wait) for conn in pipes]
        finished = time.monotonic()
        for worker, conn in enumerate(pipes):  # each worker finds the repeats among its keys' candidates
            conn.send([m[2][worker] for m in folded])
        repeats = [_receive(conn, wait)[1] for conn in pipes]
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    reason = abandon_reason(sum(m[6] for m in folded), [m[5] for m in folded])
    if reason:
        return reason
    counts, crossing = merged([m[1] for m in folded]), merged([m[7] for m in folded])
    for unit_repeats in repeats:
        for unit, n in unit_repeats.items():
            counts.units[unit]["repeat"] += n
            if crossing.units:
                crossing.units[unit]["repeat"] += n
    indicators = indicators_of(counts)
    crossed = indicators_of(crossing) if wants_cross_month(schemes) else None
    rejected = sorted(chain.from_iterable(m[3] for m in folded), key=lambda r: (r.at, r.event_id))
    invalid = sorted(chain.from_iterable(m[4] for m in folded), key=lambda item: item[0])
    log.info("replay: %d lines partitioned into %d buckets in %.1f s, folded by %d workers in %.1f s, "
             "added up in %.1f s", sum(lines), buckets, partitioned - started, workers, finished - partitioned,
             time.monotonic() - finished)
    numbers = numbers_of(indicators, period, directory, schemes, manual, crossed)
    return ReplayResult(period, *numbers, rejected, invalid)
