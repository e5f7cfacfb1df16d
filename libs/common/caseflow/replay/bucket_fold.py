"""A replay worker (see `parallel`): partition its share of the file, then fold buckets of cases one at a
time for every period asked, keeping only each period's counts, repeat candidates and rejections, the
invalid lines, the applied ids' hashes and, when asked, the last period's overdue and reworked cases."""

from __future__ import annotations

import gc
import traceback
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from multiprocessing.connection import Connection
from typing import Any

import msgspec
import numpy as np

from caseflow.contract.fast import fast_parse, plain_text
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.events import CaseEvent
from caseflow.domain.indicators import Counts
from caseflow.domain.lifecycle import Rejection
from caseflow.domain.period_tally import PeriodTally
from caseflow.domain.repeats import repeats_among
from caseflow.domain.state import CaseState
from caseflow.evaluation.case_lines import CaseLine, case_lines
from caseflow.replay.buckets import Job, Progress, part_paths, partition
from caseflow.replay.engine import CaseBook
from caseflow.replay.line_bucket import case_bucket
from caseflow.replay.worker_messages import (
    Failed,
    Folded,
    LineOffsets,
    Partitioned,
    PeriodFolded,
    RepeatParts,
    Repeats,
    check_same_hash,
    expect,
)

# A month's candidates are most of its cases: msgpack carries them several times faster than pickle.
Candidate = tuple[tuple[str, str, str, str], int, str, tuple[str, ...]]  # repeat key, reported_at, case, units
_CANDIDATES = msgspec.msgpack.Encoder()
_CANDIDATES_OF = msgspec.msgpack.Decoder(list[Candidate])


@dataclass
class PeriodTotals:
    tally: PeriodTally  # counts and repeat candidates, as live scoring keeps them (domain/period_tally.py)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass
class Totals:
    """What a worker's buckets add up to."""

    periods: list[PeriodTotals]
    invalid: list[tuple[int, Invalid]] = field(default_factory=list)
    id_hashes: array[int] = field(default_factory=lambda: array("q"))
    misrouted: int = 0
    lines: tuple[list[CaseLine], list[CaseLine]] = field(default_factory=lambda: ([], []))


def _parse_bucket(job: Job, bucket: int, line_offsets: list[int], totals: Totals,
                  done: Progress) -> dict[str, list[CaseEvent]]:
    """The bucket's lines parsed and grouped by case (file order within a case)."""
    groups: dict[str, list[CaseEvent]] = {}
    for worker in range(job.workers):
        lines_path, seq_path = part_paths(job, bucket, worker)
        numbers = np.fromfile(seq_path, dtype=np.int64) + line_offsets[worker]
        text = lines_path.read_bytes()  # every line ends with "\n" (see partition)
        plain = plain_text(text)
        for seq, raw in zip(numbers.tolist(), text.split(b"\n")[:-1], strict=True):
            event: CaseEvent | Invalid | None = fast_parse(raw, seq, plain)  # parse's first step, inlined
            if event is None:
                event = parse(raw + b"\n", seq)  # as written: pydantic's messages count lines
            if isinstance(event, Invalid):
                totals.invalid.append((seq, event))
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
    return groups


def fold_bucket(job: Job, bucket: int, line_offsets: list[int], totals: Totals, done: Progress) -> None:
    # Parsed and grouped by case, then folded case by case: two tight loops, with one case's log at hand
    # while its events are applied. One book per distinct as-of (periods that share one share it). Ids
    # are checked within their case; the hashes find an id applied in two cases, of any bucket.
    groups = _parse_bucket(job, bucket, line_offsets, totals, done)
    books = {as_of: CaseBook(job.rules) for as_of in sorted({p.as_of for p in job.periods})}
    for events in groups.values():
        for as_of, book in books.items():
            book.add_case(events, as_of)
    del groups
    cases: dict[int, list[CaseState]] = {as_of: book.cases() for as_of, book in books.items()}
    for p, into in zip(job.periods, totals.periods, strict=True):
        into.tally.add(cases[p.as_of])
        into.rejected += books[p.as_of].rejections(p.as_of)
    last = job.periods[-1]
    if job.case_lines:
        overdue, reworked = case_lines(cases[last.as_of], last)
        totals.lines[0].extend(overdue)
        totals.lines[1].extend(reworked)
    totals.id_hashes.extend(books[max(books)].id_hashes)  # the latest as-of applied every event any did


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


def work(job: Job, conn: Connection, done: Progress, claim: Any) -> None:
    # The cycle collector would rescan the growing totals (repeat candidates, hashes) again and again while
    # a bucket's events come and go; a bucket's objects are freed by reference counting. So no automatic
    # collection: what the parent loaded is frozen, and the survivors of each bucket are collected once.
    gc.freeze()
    gc.disable()
    try:
        check_same_hash(job.hash_probe)
        conn.send(Partitioned(partition(job, done)))
        line_offsets = expect(conn.recv(), LineOffsets).offsets
        totals = Totals([PeriodTotals(PeriodTally(p, job.rules, job.unit_ids, job.region_ids, job.cross_month,
                                                  job.exemptions))
                         for p in job.periods])
        for bucket in _claimed(claim, job.buckets):
            fold_bucket(job, bucket, line_offsets, totals, done)
            gc.collect(1)
        ids = np.frombuffer(totals.id_hashes, dtype=np.int64).copy()
        ids.sort()
        owners = [_by_owner(period, job.workers) for period in totals.periods]  # per period, per worker
        conn.send(Folded([PeriodFolded(p.tally.counts, p.tally.crossing or Counts({}, {}), p.rejected)
                          for p in totals.periods], owners,
                         totals.invalid, ids.tobytes(), totals.misrouted, *totals.lines))
        del totals, owners
        parts = expect(conn.recv(), RepeatParts).parts
        conn.send(Repeats([repeat_counts(period_parts) for period_parts in parts]))
    except BaseException:  # the parent re-raises it with the worker's traceback
        conn.send(Failed(traceback.format_exc()))


def _by_owner(period: PeriodTotals, workers: int) -> list[bytes]:
    """The period's repeat candidates for each worker (one repeat key, one worker: forked workers hash
    alike), encoded; the candidates themselves are let go here, before the repeats are exchanged
    (kept alive through the exchange, they cost ~17 MiB per million events in each worker)."""
    by_owner: list[list[Candidate]] = [[] for _ in range(workers)]
    for key, members in period.tally.candidates.items():
        by_owner[hash(key) % workers].extend((key, at, case_id, units) for at, case_id, units in members)
    period.tally.candidates = {}
    return [_CANDIDATES.encode(c) for c in by_owner]


def repeat_counts(parts: list[bytes]) -> dict[str, int]:
    """Per unit, the repeat cases counted for it, among the candidates of this worker's repeat keys."""
    candidates = list(chain.from_iterable(_CANDIDATES_OF.decode(part) for part in parts))
    units_of = {case_id: units for _, _, case_id, units in candidates}
    counts: dict[str, int] = {}
    for case_id in repeats_among((key, at, case_id) for key, at, case_id, _ in candidates):
        for unit in units_of[case_id]:
            counts[unit] = counts.get(unit, 0) + 1
    return counts
