"""Which bucket one raw line belongs to: a hash of its top-level case id, found by byte searches when
they are certain to find it (any key order, whitespace around the colon, an id written with escapes),
else by parsing the line. A line that is not a JSON object with a string `case_id` goes to bucket 0,
where the fold reports it as invalid. `placement` inlines these searches for whole chunks."""

from __future__ import annotations

import re
import zlib

import msgspec
import orjson

NAME = b'"case_id"'
NAME_LENGTH = len(NAME)
KEY = b'"case_id":"'
KEY_SPACED = b'"case_id": "'  # as Python's json.dumps writes it
COLON = ord(":")
_BACKSLASH = ord("\\")
WHITESPACE = b" \t\r\n"  # JSON's
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark some editors write at a file's start (RFC 8259 §8.1: ignore)
# What only a key written with escapes has: a `case_id` letter as `\u00XX` (a regex finds it ~2x faster
# than bytes.find finds a needle like this; `\u00e9` or `\u00b2` elsewhere in a line do not match).
KEY_ESCAPE = re.compile(rb"\\u00(?:6[13459]|73|5[fF])")


def bucket_of(line: bytes, buckets: int) -> int:
    """The bucket of a raw line: a hash of its case id (UTF-8, escapes decoded), or 0 when it has none.

    `"case_id"` once: that occurrence is the top-level key (an unescaped quote cannot occur inside a
    JSON string, and a nested `"case_id"` would make two), unless the key is written with escapes
    (`"\\u0063ase_id"`: then the one plain `"case_id"` is a nested one), which every such key shows by a
    `case_id` letter as `\\u00XX` (`KEY_ESCAPE`): a line holding one is parsed. The next quote, with only
    the colon (and whitespace) before it, opens the id, which is the bytes up to the following quote,
    or, when they hold an escape, that string decoded alone (`escaped_bucket`). Anything else (an
    escaped key, a nested or repeated `case_id`, a blank or broken line) is parsed. Partition inlines
    this."""
    name = line.find(NAME)
    if name >= 0 and line.count(NAME) == 1:
        after = name + NAME_LENGTH
        opening = line.find(b'"', after)
        if opening > after and ((opening == after + 1 and line[after] == COLON)
                                or line[after:opening].strip(WHITESPACE) == b":"):
            closing = line.find(b'"', opening + 1)
            if closing > 0 and not key_escaped(line):
                value = line[opening + 1:closing]
                return case_bucket(value, buckets) if b"\\" not in value else escaped_bucket(line, opening, buckets)
    return parsed_bucket(line, buckets)


def key_escaped(line: bytes) -> bool:
    """Whether `line` may hold a key written with escapes (or an id with a `case_id` letter escaped)."""
    return b"\\" in line and KEY_ESCAPE.search(line) is not None


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
