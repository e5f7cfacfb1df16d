"""Partitioning a replay's input into bucket files by case (the first phase of `parallel`).

Each worker reads its share of the file (a byte range starting at a line) and writes every line to a
bucket file chosen by a hash of the line's case id, with the line's number beside it, so a bucket can
later be folded on its own, in file order, with the right line numbers.

Any JSON spelling of an event is placed by its case id: found by byte searches when they are certain
to find the top-level `case_id` (any key order, whitespace around the colon), else by parsing the
line. A line that is not a JSON object with a string `case_id` goes to bucket 0, where the fold
reports it as invalid.
"""

from __future__ import annotations

import re
import zlib
from array import array
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
import orjson

from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.replay.worker_messages import HASH_PROBE

MAX_BUCKETS = 256  # 10M events: 256 buckets folded ~5% faster than 64 (a bucket's cases fit the caches
BUCKET_BYTES = 4 << 20  # better), 1,024 partitioned slower
_NAME = b'"case_id"'
_AFTER = len(_NAME)
_KEY = b'"case_id":"'
_KEY_SPACED = b'"case_id": "'  # as Python's json.dumps writes it
_COLON = ord(":")
_BACKSLASH = ord("\\")
_WHITESPACE = b" \t\r\n"  # JSON's
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark some editors write at a file's start (RFC 8259 §8.1: ignore)
_CHUNK = 8 << 20
# What only a key written with escapes has: a `case_id` letter as `\u00XX` (a regex finds it ~2x faster
# than bytes.find finds a needle like this; `\u00e9` or `\u00b2` elsewhere in a line do not match).
_KEY_ESCAPE = re.compile(rb"\\u00(?:6[13459]|73|5[fF])")
_HEAD = 16 << 10  # what decides how a chunk is searched (~80 lines)
Progress = Any  # multiprocessing shared int (bytes done), one per worker


def buckets_for(size: int) -> int:
    """How many buckets for a file of `size` bytes: about 4 MB of lines each, 16 to 256."""
    return min(MAX_BUCKETS, max(16, size // BUCKET_BYTES))


def bucket_of(line: bytes, buckets: int) -> int:
    """The bucket of a raw line: a hash of its case id (UTF-8, escapes decoded), or 0 when it has none.

    `"case_id"` once: that occurrence is the top-level key (an unescaped quote cannot occur inside a
    JSON string, and a nested `"case_id"` would make two), unless the key is written with escapes
    (`"\\u0063ase_id"`: then the one plain `"case_id"` is a nested one), which every such key shows by a
    `case_id` letter as `\\u00XX` (`_KEY_ESCAPE`): a line holding one is parsed. The next quote, with only
    the colon (and whitespace) before it, opens the id, which is the bytes up to the following quote,
    or, when they hold an escape, that string decoded alone (`escaped_bucket`). Anything else (an
    escaped key, a nested or repeated `case_id`, a blank or broken line) is parsed. Partition inlines
    this."""
    name = line.find(_NAME)
    if name >= 0 and line.count(_NAME) == 1:
        after = name + _AFTER
        opening = line.find(b'"', after)
        if opening > after and ((opening == after + 1 and line[after] == _COLON)
                                or line[after:opening].strip(_WHITESPACE) == b":"):
            closing = line.find(b'"', opening + 1)
            if closing > 0 and not _key_escaped(line):
                value = line[opening + 1:closing]
                return case_bucket(value, buckets) if b"\\" not in value else escaped_bucket(line, opening, buckets)
    return parsed_bucket(line, buckets)


def _key_escaped(line: bytes) -> bool:
    """Whether `line` may hold a key written with escapes (or an id with a `case_id` letter escaped)."""
    return b"\\" in line and _KEY_ESCAPE.search(line) is not None


def escaped_bucket(line: bytes, opening: int, buckets: int) -> int:
    """The bucket of an id written with escapes (`\\u4e2d`, `\\"`): the string opening at `opening`
    decoded alone (its closing quote is the first one not escaped), which is what parsing the whole
    line would find, at a fraction of the cost; anything odd is left to `parsed_bucket`."""
    closing = line.find(b'"', opening + 1)
    while closing > 0 and line[closing - 1] == _BACKSLASH:  # rare: a quote or backslash in the id
        before = closing - 1
        while line[before] == _BACKSLASH:
            before -= 1
        if (closing - 1 - before) % 2 == 0:  # an even run of backslashes escapes each other, not the quote
            break
        closing = line.find(b'"', closing + 1)
    if closing < 0:
        return parsed_bucket(line, buckets)
    try:
        return zlib.crc32(orjson.loads(line[opening:closing + 1]).encode()) % buckets
    except (orjson.JSONDecodeError, UnicodeEncodeError):
        return parsed_bucket(line, buckets)


class _TopLevelId(msgspec.Struct):
    case_id: object = None  # any JSON value: only a string places the line


_TOP_LEVEL_ID = msgspec.json.Decoder(_TopLevelId)


def parsed_bucket(line: bytes, buckets: int) -> int:
    """The bucket of a line the byte search cannot place, by parsing it: only the top-level `case_id` is
    built (the rest is validated and skipped, a third cheaper than building the whole line)."""
    try:
        case_id = _TOP_LEVEL_ID.decode(line.removeprefix(BOM)).case_id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return 0
    if not isinstance(case_id, str):
        return 0
    try:
        return case_bucket(case_id.encode(), buckets)
    except UnicodeEncodeError:  # a lone surrogate: no valid event has one
        return 0


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
    periods: tuple[Period, ...]  # each folded and counted from the bucket's cases
    rules: Rules
    unit_ids: tuple[str, ...]
    region_ids: tuple[str, ...]
    cross_month: bool = False  # also count under county-interim 第十一条 (a scheme asks for it)
    case_lines: bool = False  # the last period's overdue and reworked cases too (reports)
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
            # A chunk whose first lines are all compact is most likely all compact: the compact search first,
            # unless a key may be written with escapes somewhere in it (then each line is checked).
            key_escapes = b"\\" in text and _KEY_ESCAPE.search(text) is not None
            key = _chunk_key(text[:_HEAD])
            names = text.count(_NAME) - tail.count(_NAME)
            marks = [len(numbers) for numbers in seqs]
            placed = _place(lines, job.buckets, pending, seqs, seq, key, key_escapes, names)
            if placed < 0:  # a line holds `"case_id"` twice: place the chunk again, counting per line
                for numbers, mark in zip(seqs, marks, strict=True):
                    del numbers[mark:]
                for chunk_lines in pending:
                    chunk_lines.clear()
                placed = _place(lines, job.buckets, pending, seqs, seq, key, key_escapes, -1)
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


def _chunk_key(head: bytes) -> bytes | None:
    """The one spelling of `"case_id": "` every line of a chunk's head has (most likely the whole chunk's),
    or None: spacing varies from line to line."""
    names = head.count(_NAME)
    for key in (_KEY, _KEY_SPACED):
        if names > 0 and head.count(key) == names:
            return key
    return None


def _place(lines: list[bytes], buckets: int, pending: list[list[bytes]], seqs: list[array[int]], seq: int,
           key: bytes | None, key_escapes: bool, names: int) -> int:
    if key is None:
        return _place_spelled(lines, buckets, pending, seqs, seq, key_escapes, names)
    return _place_keyed(lines, buckets, pending, seqs, seq, key, key_escapes, names)


def _place_keyed(lines: list[bytes], buckets: int, pending: list[list[bytes]], seqs: list[array[int]],
                 seq: int, key: bytes, key_escapes: bool, names: int) -> int:
    """Each line into its bucket's pending lines, by the chunk's spelling of the key (`_chunk_key`) first,
    else `bucket_of`; returns the next line number. `names`: how many `"case_id"` the lines hold; each
    line the search places is taken to hold one, and -1 is returned when they do not add up (then call
    again with -1: each line counted). Where the chunk may hold a key written with escapes
    (`key_escapes`), a line with a backslash is parsed: only such a line can hold one, and the parse
    costs less than looking. (The loops that see every line: inlined, locals only.)"""
    crc32, skip, name, strict, seen = zlib.crc32, len(key), _NAME, names < 0, 0
    for raw in lines:
        if key_escapes and b"\\" in raw:
            seen += raw.count(name)
            bucket = parsed_bucket(raw, buckets)
            pending[bucket].append(raw)
            seqs[bucket].append(seq)
            seq += 1
            continue
        start = raw.find(key)
        if start >= 0 and not (strict and raw.count(name) != 1):
            seen += 1
            closing = raw.find(b'"', start + skip)
            value = raw[start + skip:closing]
            if closing < 0:
                bucket = parsed_bucket(raw, buckets)
            elif b"\\" in value:
                bucket = escaped_bucket(raw, start + skip - 1, buckets)
            else:
                bucket = crc32(value) % buckets
        else:
            seen += raw.count(name)
            bucket = bucket_of(raw, buckets)
            if not raw.strip():
                seq += 1
                continue
        pending[bucket].append(raw)
        seqs[bucket].append(seq)
        seq += 1
    return seq if strict or seen == names else -1


def _place_spelled(lines: list[bytes], buckets: int, pending: list[list[bytes]], seqs: list[array[int]],
                   seq: int, key_escapes: bool, names: int) -> int:
    """Each line into its bucket's pending lines by `bucket_of`, inlined: any whitespace around the colon;
    `names` and the answer as for `_place_keyed`. `key_escapes`: whether the chunk may hold a key
    written with escapes (one search per chunk costs less than one per line). There an id written with
    escapes is parsed with its line (cheaper than a search and its decode; a broken such line then goes
    to bucket 0: its bucket does not matter)."""
    crc32, name, skip, colon, ws, key_escaped = zlib.crc32, _NAME, _AFTER, _COLON, _WHITESPACE, _key_escaped
    strict, seen = names < 0, 0
    for raw in lines:
        bucket = -1
        at = raw.find(name)
        if at >= 0 and not (strict and raw.count(name) != 1):
            seen += 1
            after = at + skip
            opening = raw.find(b'"', after)
            if opening > after and ((opening == after + 1 and raw[after] == colon)
                                    or raw[after:opening].strip(ws) == b":"):
                closing = raw.find(b'"', opening + 1)
                value = raw[opening + 1:closing]
                if closing > 0 and b"\\" not in value:
                    if not (key_escapes and key_escaped(raw)):
                        bucket = crc32(value) % buckets
                elif closing > 0 and not key_escapes:
                    bucket = escaped_bucket(raw, opening, buckets)
        elif at >= 0:
            seen += raw.count(name)
        if bucket < 0:
            bucket = parsed_bucket(raw, buckets)
            if not raw.strip():
                seq += 1
                continue
        pending[bucket].append(raw)
        seqs[bucket].append(seq)
        seq += 1
    return seq if strict or seen == names else -1


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
