"""Replay a file on several cores, with the single-process result exactly.

Each worker (a forked process) reads the whole file but parses only the lines whose case hashes to it,
so every case is folded whole by one worker. The only things that cross cases are handled here:
- repeat cases: workers send their candidates, the parent finds the repeats, workers count with them;
- duplicate `event_id`s (deduplicated globally, first arrival wins): workers keep lean books (each
  case its own ids) and send the hashes of the ids they applied; if any hash was applied twice (in two
  cases, in one worker or two), the parallel run is abandoned;
- routing reads the case id from the raw line (`"case_id":"...`); a line whose parsed case id would
  route elsewhere (escapes, odd spacing, a nested key) makes the run abandoned too.
An abandoned run returns None and the caller folds the file in one process, so the answer never
depends on the worker count; the unit tests compare both on generated and adversarial files.
"""

from __future__ import annotations

import multiprocessing
import traceback
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import chain
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import numpy as np

from caseflow.config.units import Directory
from caseflow.contract.mapping import Invalid, parse
from caseflow.domain.indicators import Counts, Period, count, indicators_of, merged
from caseflow.domain.repeats import repeat_candidates, repeats_among
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.replay.engine import CaseBook, ReplayResult, repeated_hashes, scores_of

_KEY = b'"case_id":"'
_PROGRESS_EVERY = 1 << 16  # lines between progress updates


def shard_of(line: bytes, shards: int) -> int:
    """The worker for a raw line: a hash of the case id as written, or 0 when there is none."""
    start = line.find(_KEY)
    if start < 0:
        return 0
    start += len(_KEY)
    end = line.find(b'"', start)
    return 0 if end < 0 else zlib.crc32(line[start:end]) % shards


@dataclass(frozen=True)
class _Job:
    path: Path
    shard: int
    shards: int
    period: Period
    rules: Rules
    unit_ids: tuple[str, ...]
    region_ids: tuple[str, ...]


def _fold_shard(job: _Job, read: Synchronized | None) -> tuple[CaseBook, int]:
    book, misrouted, as_of, shard, shards = CaseBook(job.rules, lean=True), 0, job.period.as_of, job.shard, job.shards
    key, skip, crc32 = _KEY, len(_KEY), zlib.crc32
    with job.path.open("rb") as handle:
        for seq, raw in enumerate(handle):
            if read is not None and seq % _PROGRESS_EVERY == 0:
                read.value = handle.tell()
            start = raw.find(key)  # shard_of, inlined: this loop sees every line of the file
            if start < 0:
                owner = 0
            else:
                end = raw.find(b'"', start + skip)
                owner = 0 if end < 0 else crc32(raw[start + skip:end]) % shards
            if owner != shard or not raw.strip():
                continue
            event = parse(raw, seq)
            if not isinstance(event, Invalid) and crc32(event.case_id.encode()) % shards != shard:
                misrouted += 1
            book.add(event, seq, as_of)
    return book, misrouted


def _work(job: _Job, conn: Connection, read: Synchronized | None) -> None:
    try:
        book, misrouted = _fold_shard(job, read)
        cases = book.cases()
        p = job.period
        ids = np.frombuffer(book.id_hashes, dtype=np.int64).copy()
        ids.sort()
        conn.send(("folded", misrouted, ids.tobytes(), repeat_candidates(
            cases, p.start, p.end, p.as_of, job.rules.repeat_excluded_codes)))
        repeats = conn.recv()
        if repeats is None:
            return
        counts = count(cases, p, repeats, job.unit_ids, job.region_ids)
        conn.send(("counted", counts, book.rejections(p.as_of), book.invalid))
    except BaseException:  # the parent re-raises it with the worker's traceback
        conn.send(("error", traceback.format_exc()))


def _receive(conn: Connection, wait: Callable[[], None]) -> tuple[Any, ...]:
    while not conn.poll(0.2):
        wait()
    message: tuple[Any, ...] = conn.recv()
    if message[0] == "error":
        raise RuntimeError(f"replay worker failed:\n{message[1]}")
    return message


def abandon_reason(misrouted: int, id_hashes: list[bytes]) -> str | None:
    """Why the shards' results cannot simply be added up, or None when they can."""
    if misrouted:
        return f"{misrouted} events would be routed to another worker by their parsed case id"
    if repeated_hashes(id_hashes):
        return "an event_id was applied in two cases"
    return None


def replay_file(path: Path, period: Period, rules: Rules, directory: Directory, schemes: Mapping[str, Scheme],
                workers: int, on_progress: Callable[[int], None] | None = None,
                manual: Mapping[str, Mapping[str, float]] | None = None) -> ReplayResult | str:
    """The period's result from `workers` processes, or the reason the caller must fold in one."""
    ctx = multiprocessing.get_context("fork")  # the workers share this process's loaded code and config
    read = ctx.Value("q", 0, lock=False) if on_progress is not None else None
    pipes, procs = [], []
    for shard in range(workers):
        parent, child = ctx.Pipe()
        job = _Job(path, shard, workers, period, rules, tuple(directory.units), tuple(directory.regions))
        proc = ctx.Process(target=_work, args=(job, child, read if shard == 0 else None), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)

    def wait() -> None:
        if on_progress is not None and read is not None:
            on_progress(read.value)
        for proc in procs:
            if proc.exitcode not in (None, 0):
                raise RuntimeError(f"replay worker exited with {proc.exitcode}")

    try:
        folded = [_receive(conn, wait) for conn in pipes]
        reason = abandon_reason(sum(m[1] for m in folded), [m[2] for m in folded])
        repeats = None if reason else repeats_among(chain.from_iterable(m[3] for m in folded))
        for conn in pipes:
            conn.send(repeats)
        if reason:
            return reason
        counted = [_receive(conn, wait) for conn in pipes]
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    parts: list[Counts] = [m[1] for m in counted]
    indicators = indicators_of(merged(parts))
    rejected = sorted(chain.from_iterable(m[2] for m in counted), key=lambda r: (r.at, r.event_id))
    invalid = sorted(chain.from_iterable(m[3] for m in counted), key=lambda item: item[0])
    return ReplayResult(period, indicators, scores_of(indicators, directory, schemes, manual), rejected, invalid)
