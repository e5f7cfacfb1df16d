"""Placing a chunk's lines into their buckets' pending lines (the partition's inner loops): by the one
spelling of the key the chunk's head shows, else line by line whatever the spacing; both agree with
`line_bucket.bucket_of` on every line."""

from __future__ import annotations

import zlib
from array import array

from caseflow.replay.line_bucket import (
    COLON,
    KEY,
    KEY_SPACED,
    NAME,
    NAME_LENGTH,
    WHITESPACE,
    bucket_of,
    escaped_bucket,
    key_escaped,
    parsed_bucket,
)


def chunk_key(head: bytes) -> bytes | None:
    """The one spelling of `"case_id": "` every line of a chunk's head has (most likely the whole chunk's),
    or None: spacing varies from line to line."""
    names = head.count(NAME)
    for key in (KEY, KEY_SPACED):
        if names > 0 and head.count(key) == names:
            return key
    return None


def place(lines: list[bytes], buckets: int, pending: list[list[bytes]], seqs: list[array[int]], seq: int,
          key: bytes | None, key_escapes: bool, names: int) -> int:
    if key is None:
        return place_spelled(lines, buckets, pending, seqs, seq, key_escapes, names)
    return place_keyed(lines, buckets, pending, seqs, seq, key, key_escapes, names)


def place_keyed(lines: list[bytes], buckets: int, pending: list[list[bytes]], seqs: list[array[int]],
                seq: int, key: bytes, key_escapes: bool, names: int) -> int:
    """Each line into its bucket's pending lines, by the chunk's spelling of the key (`chunk_key`) first,
    else `bucket_of`; returns the next line number. `names`: how many `"case_id"` the lines hold; each
    line the search places is taken to hold one, and -1 is returned when they do not add up (then call
    again with -1: each line counted). Where the chunk may hold a key written with escapes
    (`key_escapes`), a line with a backslash is parsed: only such a line can hold one, and the parse
    costs less than looking. (The loops that see every line: inlined, locals only.)"""
    crc32, skip, name, strict, seen = zlib.crc32, len(key), NAME, names < 0, 0
    for raw in lines:
        if key_escapes and b"\\" in raw:
            seen += raw.count(name)
            bucket = parsed_bucket(raw, buckets)
        elif (start := raw.find(key)) >= 0 and not (strict and raw.count(name) != 1):
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


def place_spelled(lines: list[bytes], buckets: int, pending: list[list[bytes]], seqs: list[array[int]],
                  seq: int, key_escapes: bool, names: int) -> int:
    """Each line into its bucket's pending lines by `bucket_of`, inlined: any whitespace around the colon;
    `names` and the answer as for `place_keyed`. `key_escapes`: whether the chunk may hold a key
    written with escapes (one search per chunk costs less than one per line). There an id written with
    escapes is parsed with its line (cheaper than a search and its decode; a broken such line then goes
    to bucket 0: its bucket does not matter)."""
    crc32, name, skip, colon, ws, escaped_key = zlib.crc32, NAME, NAME_LENGTH, COLON, WHITESPACE, key_escaped
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
                    if not (key_escapes and escaped_key(raw)):
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
