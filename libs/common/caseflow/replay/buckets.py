"""Partitioning a replay's input into bucket files by case (the first phase of `parallel`).

Each worker reads its share of the file (a byte range starting at a line) and writes every line to a
bucket file chosen by a hash of the line's case id, with the line's number beside it, so a bucket can
later be folded on its own, in file order, with the right line numbers.

Any JSON spelling of an event is placed by its case id (`line_bucket`, `placement`).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.replay.line_bucket import BOM, KEY_ESCAPE, NAME
from caseflow.replay.placement import chunk_key, place
from caseflow.replay.worker_messages import HASH_PROBE

MAX_BUCKETS = 256  # 10M events: 256 buckets folded ~5% faster than 64 (a bucket's cases fit the caches
BUCKET_BYTES = 4 << 20  # better), 1,024 partitioned slower
_CHUNK = 8 << 20
_HEAD = 16 << 10  # what decides how a chunk is searched (~80 lines)
Progress = Any  # multiprocessing shared int (bytes done), one per worker


def buckets_for(size: int) -> int:
    """How many buckets for a file of `size` bytes: about 4 MB of lines each, 16 to 256."""
    return min(MAX_BUCKETS, max(16, size // BUCKET_BYTES))


@dataclass(frozen=True)
class Job:
    path: Path
    work: Path  # directory for the bucket files
    worker: int
    workers: int
    buckets: int
    start: int  # byte range of the file this worker partitions
    end: int
    periods: tuple[Period, ...]  # each folded and counted from the bucket's cases
    rules: Rules
    unit_ids: tuple[str, ...]
    region_ids: tuple[str, ...]
    cross_month: bool = False  # also count under county-interim 第十一条 (a scheme asks for it)
    case_lines: bool = False  # the last period's overdue and reworked cases too (reports)
    exemptions: Exemptions = NONE  # approved exemptions (rules §4a)
    hash_probe: int = field(default_factory=lambda: hash(HASH_PROBE))  # hashed here, in the parent


def part_paths(job: Job, bucket: int, worker: int) -> tuple[Path, Path]:
    return job.work / f"{worker}-{bucket}.jsonl", job.work / f"{worker}-{bucket}.seq"


def partition(job: Job, done: Progress) -> int:
    """Write this worker's lines into bucket files (with their line numbers); returns its line count.
    Reads and writes in chunks: one split and one write per bucket per chunk, not per line."""
    outs = [part_paths(job, b, job.worker)[0].open("wb") for b in range(job.buckets)]
    seqs = [array("q") for _ in range(job.buckets)]
    pending: list[list[bytes]] = [[] for _ in range(job.buckets)]
    seq = 0
    with job.path.open("rb") as handle:
        handle.seek(job.start)
        left, tail = job.end - job.start, b""  # the range starts and ends at line starts
        while left > 0 or tail:
            chunk = handle.read(min(_CHUNK, left))
            at_start = left == job.end - job.start and job.start == 0
            left -= len(chunk)
            if at_start:
                chunk = chunk.removeprefix(BOM)  # the file's start
            text = tail + chunk
            lines = text.split(b"\n")
            tail = lines.pop() if chunk else b""  # the last line of the file may have no newline
            # A chunk whose first lines all spell the key one way most likely all do: that key's search first
            # (`chunk_key`); where a key may be written with escapes, the lines that could hold one are parsed.
            key_escapes = b"\\" in text and KEY_ESCAPE.search(text) is not None
            key = chunk_key(text[:_HEAD])
            names = text.count(NAME) - tail.count(NAME)
            marks = [len(numbers) for numbers in seqs]
            placed = place(lines, job.buckets, pending, seqs, seq, key, key_escapes, names)
            if placed < 0:  # a line holds `"case_id"` twice: place the chunk again, counting per line
                for numbers, mark in zip(seqs, marks, strict=True):
                    del numbers[mark:]
                for chunk_lines in pending:
                    chunk_lines.clear()
                placed = place(lines, job.buckets, pending, seqs, seq, key, key_escapes, -1)
            seq = placed
            for out, chunk_lines in zip(outs, pending, strict=True):
                if chunk_lines:
                    out.write(b"\n".join(chunk_lines))
                    out.write(b"\n")
                    chunk_lines.clear()
            done.value = job.end - job.start - left
    for bucket, (out, numbers) in enumerate(zip(outs, seqs, strict=True)):
        out.close()
        with part_paths(job, bucket, job.worker)[1].open("wb") as f:
            numbers.tofile(f)
    return seq


def ranges(path: Path, workers: int) -> list[tuple[int, int]]:
    """Byte ranges of about equal size, each starting at a line."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as handle:
        for i in range(1, workers):
            handle.seek(max(cuts[-1], size * i // workers))
            handle.readline()
            cuts.append(min(handle.tell(), size))
    cuts.append(size)
    return list(pairwise(cuts))
