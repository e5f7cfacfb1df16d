"""The same events written in other valid JSON spellings: what a platform, a script or an editor may
produce. Tests and benchmarks replay them and expect the compact file's numbers."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from caseflow.replay.line_bucket import BOM


def escaped(text: str) -> str:
    """A JSON string literal with every character as a \\u escape."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'


def _shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    return value


def compact(event: dict[str, Any], rnd: random.Random) -> str:
    return orjson.dumps(event).decode()


def python_json(event: dict[str, Any], rnd: random.Random) -> str:
    return json.dumps(event)  # ", " and ": ", non-ASCII as \\uXXXX


def shuffled_spaced(event: dict[str, Any], rnd: random.Random) -> str:
    space = rnd.choice([" ", "  ", "\t", ""])
    return json.dumps(_shuffled(event, rnd), ensure_ascii=False, separators=(f"{space},{space}", f"{space}:{space}"))


def escaped_ids(event: dict[str, Any], rnd: random.Random) -> str:
    """A third of the lines write the case id as \\u escapes, most of those the key name too."""
    text = json.dumps(event, ensure_ascii=False)
    if rnd.random() < 1 / 3:
        key = '"\\u0063ase_id"' if rnd.random() < 0.6 else '"case_id"'
        text = text.replace(f'"case_id": {json.dumps(event["case_id"])}', f"{key}: {escaped(event['case_id'])}", 1)
    return text


SPELLINGS: dict[str, Callable[[dict[str, Any], random.Random], str]] = {
    "compact": compact, "python-json": python_json, "shuffled-spaced": shuffled_spaced, "escaped-ids": escaped_ids}


def respelled(lines: Iterable[bytes], spelling: str, crlf: bool = False, bom: bool = False, blanks: bool = False,
              seed: int = 1) -> Iterator[bytes]:
    """`lines` (compact NDJSON) in `spelling`; lines that are not JSON objects pass as they are."""
    rnd = random.Random(seed)
    write = SPELLINGS[spelling]
    end = b"\r\n" if crlf else b"\n"
    first = bom
    for raw in lines:
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            event = None
        text = write(event, rnd).encode() if isinstance(event, dict) else raw.rstrip(b"\r\n")
        yield (BOM if first else b"") + text + end
        first = False
        if blanks and rnd.random() < 0.05:
            yield rnd.choice([b"", b"   ", b"\t"]) + end
