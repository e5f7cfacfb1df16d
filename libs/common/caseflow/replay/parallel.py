"""Replay a large file in buckets of cases, on several cores, with the single-process result exactly.

1. Partition: each worker reads its share of the file (a byte range) and writes every line to a bucket
   file (`buckets_for` the size: ~4 MB each, up to 256) chosen by a hash of its case id (`buckets`
   places any JSON spelling), keeping line numbers.
2. Fold (`bucket_fold`): each worker takes the next bucket left (until none is), parses its lines,
   groups them by case, folds each case's events in a row for every period asked, counts the cases and
   lets them go, so memory holds one bucket of cases plus small per-case leftovers, not the month.
3. The parent adds the counts up, per period. What crosses cases is settled there:
   - repeat cases: buckets keep each candidate with the units it would count for; the candidates are
     exchanged so that each worker holds all of some repeat keys, and it counts their repeats;
   - duplicate `event_id`s (first arrival wins, across the whole file): a case's ids are checked
     against each other, and a hash of every applied id is sent; a hash applied twice (two cases, of
     one bucket or two) abandons the run;
   - a line whose parsed case id belongs to another bucket abandons the run too (a safety net: the
     partition places every spelling by the id the parse will find).
An abandoned run returns the reason and the caller folds the file in one process, so the answer never
depends on how it was computed; the unit tests compare both on generated and adversarial files.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from caseflow.config.units import Directory
from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Counts, Period, indicators_of, merged
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.case_lines import CaseLine
from caseflow.evaluation.evaluate import numbers_of, wants_cross_month
from caseflow.replay.bucket_fold import work
from caseflow.replay.buckets import Job, buckets_for, ranges
from caseflow.replay.engine import ReplayResult, repeated_hashes
from caseflow.replay.worker_messages import Folded, LineOffsets, Partitioned, RepeatParts, Repeats, expect

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Replayed:
    """Every period's result and, when asked, the last period's overdue and reworked cases."""

    results: list[ReplayResult]
    overdue: list[CaseLine]
    reworked: list[CaseLine]


def _receive(conn: Connection, wait: Callable[[], None], kind: type[T]) -> T:
    while not conn.poll(0.2):
        wait()
    message: T = expect(conn.recv(), kind)
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
                exemptions: Exemptions = NONE) -> ReplayResult | str:
    """The period's result, or the reason the caller must fold in one process. Progress counts the
    file's bytes twice: once partitioned, once folded. `buckets` defaults to `buckets_for` the size."""
    found = replay_file_periods(path, [period], rules, directory, schemes, workers, on_progress, manual, buckets,
                                exemptions=exemptions)
    return found if isinstance(found, str) else found.results[0]


def replay_file_periods(path: Path, periods: Sequence[Period], rules: Rules, directory: Directory,
                        schemes: Mapping[str, Scheme], workers: int, on_progress: Callable[[int], None] | None = None,
                        manual: Mapping[str, Mapping[str, float]] | None = None, buckets: int | None = None,
                        case_lines: bool = False, exemptions: Exemptions = NONE) -> Replayed | str:
    """Every period's result from one pass over the file (`manual` inputs apply to the last period), or
    the reason the caller must fold in one process."""
    buckets = buckets or buckets_for(path.stat().st_size)
    ctx = multiprocessing.get_context("fork")  # the workers share this process's loaded code and config
    work_dir = Path(tempfile.mkdtemp(prefix="caseflow-replay-"))
    dones = [ctx.Value("q", 0, lock=False) for _ in range(workers)]
    claim = ctx.Value("q", 0)  # the next bucket to fold
    pipes, procs = [], []
    try:
        for worker, (start, end) in enumerate(ranges(path, workers)):
            parent, child = ctx.Pipe()
            job = Job(path, work_dir, worker, workers, buckets, start, end, tuple(periods), rules,
                      tuple(directory.units), tuple(directory.regions), wants_cross_month(schemes), case_lines,
                      exemptions=exemptions)
            proc = ctx.Process(target=work, args=(job, child, dones[worker], claim), daemon=True)
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
        lines = [_receive(conn, wait, Partitioned).lines for conn in pipes]
        partitioned = time.monotonic()
        offsets = LineOffsets([sum(lines[:i]) for i in range(workers)])
        for conn in pipes:
            conn.send(offsets)
        folded = [_receive(conn, wait, Folded) for conn in pipes]
        finished = time.monotonic()
        for worker, conn in enumerate(pipes):  # each worker finds the repeats among its keys' candidates
            conn.send(RepeatParts([[m.candidates[i][worker] for m in folded] for i in range(len(periods))]))
        repeats = [_receive(conn, wait, Repeats).per_period for conn in pipes]
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        shutil.rmtree(work_dir, ignore_errors=True)
    reason = abandon_reason(sum(m.misrouted for m in folded), [m.id_hashes for m in folded])
    if reason:
        return reason
    invalid = sorted(chain.from_iterable(m.invalid for m in folded), key=lambda item: item[0])
    results = [_result(i, p, folded, repeats, directory, schemes, manual if i == len(periods) - 1 else None,
                       invalid) for i, p in enumerate(periods)]
    log.info("replay: %d lines partitioned into %d buckets in %.1f s, folded by %d workers in %.1f s, "
             "added up in %.1f s", sum(lines), buckets, partitioned - started, workers, finished - partitioned,
             time.monotonic() - finished)
    return Replayed(results, sorted(chain.from_iterable(m.overdue for m in folded), key=_line_order),
                    sorted(chain.from_iterable(m.reworked for m in folded), key=_line_order))


def _line_order(c: CaseLine) -> tuple[str, int, str]:
    return (c.unit, c.dispatched_at, c.case_id)


def _result(i: int, period: Period, folded: list[Folded], repeats: list[list[dict[str, int]]],
            directory: Directory, schemes: Mapping[str, Scheme], manual: Mapping[str, Mapping[str, float]] | None,
            invalid: list[Any]) -> ReplayResult:
    counts: Counts = merged([m.periods[i].counts for m in folded])
    crossing: Counts = merged([m.periods[i].crossing for m in folded])
    for worker_repeats in repeats:
        for unit, n in worker_repeats[i].items():
            counts.units[unit]["repeat"] += n
            if crossing.units:
                crossing.units[unit]["repeat"] += n
    crossed = indicators_of(crossing) if wants_cross_month(schemes) else None
    rejected = sorted(chain.from_iterable(m.periods[i].rejected for m in folded), key=lambda r: (r.at, r.event_id))
    numbers = numbers_of(indicators_of(counts), period, directory, schemes, manual, crossed)
    return ReplayResult(period, *numbers, rejected, invalid)
