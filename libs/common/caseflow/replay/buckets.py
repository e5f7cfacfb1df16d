"""Partitioning a replay's input into bucket files by case (the first phase of `parallel`).

Each worker reads its share of the file (a byte range starting at a line) and writes every line to a
bucket file chosen by a hash of the case id as written, with the line's number beside it, so a bucket
can later be folded on its own, in file order, with the right line numbers.
"""

from __future__ import annotations

import zlib
from array import array
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules

MAX_BUCKETS = 256  # 10M events: 256 buckets folded ~5% faster than 64 (a bucket's cases fit the caches
BUCKET_BYTES = 4 << 20  # better), 1,024 partitioned slower
_KEY = b'"case_id":"'
_CHUNK = 8 << 20
Progress = Any  # multiprocessing shared int (bytes done), one per worker


def buckets_for(size: int) -> int:
    """How many buckets for a file of `size` bytes: about 4 MB of lines each, 16 to 256."""
    return min(MAX_BUCKETS, max(16, size // BUCKET_BYTES))


def bucket_of(line: bytes, buckets: int) -> int:
    """The bucket of a raw line: a hash of the case id as written, or 0 when there is none."""
    start = line.find(_KEY)
    if start < 0:
        return 0
    start += len(_KEY)
    end = line.find(b'"', start)
    return 0 if end < 0 else case_bucket(line[start:end], buckets)


def case_bucket(case_id: bytes, buckets: int) -> int:
    """The bucket of a case id (as written in the line, or parsed and encoded: they should agree)."""
    return zlib.crc32(case_id) % buckets


@dataclass(frozen=True)
class Job:
    path: Path
    work: Path  # directory for the bucket files
    worker: int
    workers: int
    buckets: int
    start: int  # byte range of the file this worker partitions
    end: int
    period: Period
    rules: Rules
    unit_ids: tuple[str, ...]
    region_ids: tuple[str, ...]
    cross_month: bool = False  # also count under county-interim 第十一条 (a scheme asks for it)


def part_paths(job: Job, bucket: int, worker: int) -> tuple[Path, Path]:
    return job.work / f"{worker}-{bucket}.jsonl", job.work / f"{worker}-{bucket}.seq"


def partition(job: Job, done: Progress) -> int:
    """Write this worker's lines into bucket files (with their line numbers); returns its line count.
    Reads and writes in chunks: one split and one write per bucket per chunk, not per line."""
    outs = [part_paths(job, b, job.worker)[0].open("wb") for b in range(job.buckets)]
    seqs = [array("q") for _ in range(job.buckets)]
    pending: list[list[bytes]] = [[] for _ in range(job.buckets)]
    key, skip, crc32, buckets, seq = _KEY, len(_KEY), zlib.crc32, job.buckets, 0
    with job.path.open("rb") as handle:
        handle.seek(job.start)
        left, tail = job.end - job.start, b""  # the range starts and ends at line starts
        while left > 0 or tail:
            chunk = handle.read(min(_CHUNK, left))
            left -= len(chunk)
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop() if chunk else b""  # the last line of the file may have no newline
            for raw in lines:
                start = raw.find(key)  # bucket_of and case_bucket, inlined: this loop sees every line
                if start < 0:
                    bucket = 0
                else:
                    end = raw.find(b'"', start + skip)
                    bucket = 0 if end < 0 else crc32(raw[start + skip:end]) % buckets
                if raw.strip():
                    pending[bucket].append(raw)
                    seqs[bucket].append(seq)
                seq += 1
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
