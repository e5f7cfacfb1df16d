"""Kafka and the archive into the bucketed engine: every partition read by one of several reader
processes into a file of its own (one record per line, in offset order), the files joined in partition
order, and the result replayed like any file: partitioned into buckets of cases and folded per bucket
by worker processes. Memory stays one bucket of cases, not the month; the disk holds the month once,
under $TMPDIR, removed afterwards.

The replay order is therefore: partition 0 by offset, then partition 1, and so on. Every event of a case
is on one partition (intake keys by case), so each case sees its events in the order they were written,
whatever the number of readers or workers; the order between cases does not change any number (an
event id used by two cases, which intake never lets through, sends the replay to one process, where the
first in this order wins).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import orjson

from caseflow.replay.partition_reads import PartitionRange, plan_reads, write_partitions
from caseflow.replay.sources import Source, SourceError


def one_line(raw: bytes) -> bytes:
    """A record as one line: a value written over several lines (pretty-printed JSON) is written
    compact, the same object; one that is not JSON has its line breaks made spaces (it is invalid either
    way, and stays one record)."""
    if b"\n" not in raw:
        return raw
    try:
        return orjson.dumps(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return raw.replace(b"\n", b" ")


@dataclass(frozen=True)
class _Reader:
    source: Source
    ranges: tuple[PartitionRange, ...]
    work: Path


def _read(reader: _Reader, done: Any, conn: Connection) -> None:
    try:
        asyncio.run(write_partitions(reader.source, reader.ranges, reader.work, one_line, done))
        conn.send(None)
    except BaseException as exc:  # the parent raises it (a SourceError as it is, anything else with its trace)
        conn.send(exc if isinstance(exc, SourceError) else RuntimeError(traceback.format_exc()))


def _run_readers(source: Source, ranges: Sequence[PartitionRange], work: Path, readers: int,
                 advance: Callable[[int], None]) -> None:
    ctx = multiprocessing.get_context("fork")
    shares = [tuple(ranges[i::readers]) for i in range(readers)]
    dones = [ctx.Value("q", 0, lock=False) for _ in shares]
    procs, pipes = [], []
    for share, done in zip(shares, dones, strict=True):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_read, args=(_Reader(source, share, work), done, child), daemon=True)
        proc.start()
        procs.append(proc)
        pipes.append(parent)
    reported = 0
    try:
        for proc, pipe in zip(procs, pipes, strict=True):
            while not pipe.poll(0.2):
                total = sum(d.value for d in dones)
                advance(total - reported)
                reported = total
                if proc.exitcode not in (None, 0):
                    raise RuntimeError(f"replay reader exited with {proc.exitcode}")
            failure = pipe.recv()
            if failure is not None:
                raise failure
        advance(sum(d.value for d in dones) - reported)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()


@contextlib.contextmanager
def spooled(source: Source, progress: Callable[[int | None], Callable[[int], None]],
            readers: int = 2) -> Iterator[Source]:
    """The source as a file source, for as long as the block runs."""
    work = Path(tempfile.mkdtemp(prefix="caseflow-spool-"))
    try:
        ranges, total = asyncio.run(plan_reads(source))
        _run_readers(source, ranges, work, max(1, min(readers, len(ranges))), progress(total))
        path = work / f"{source.kind}.jsonl"
        with path.open("wb") as out:
            for r in sorted(ranges, key=lambda r: r.partition):
                part = work / f"{r.partition}.jsonl"
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, out, 8 << 20)
                part.unlink()
        yield Source("file", path=path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
