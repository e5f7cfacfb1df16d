"""Input corpora shared by tests: the contract's examples, known-bad messages, and a hostile generator."""

from __future__ import annotations

from typing import Any

from tests.conftest import CONTRACT

GOOD = (CONTRACT / "examples.jsonl").read_bytes().splitlines()
BAD = [
    b"{not json",
    b'{"event_id":"b1","case_id":"c","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00"}',
    b'{"event_id":"b2","case_id":"c","type":"dispatched","occurred_at":"2026-11-02T09:12:00+08:00","data":{"unit":7}}',
    b"[" * 5000 + b"]" * 5000,
    b'{"event_id":"b3","case_id":"c","type":"visited","occurred_at":"2026-11-02T09:12:00+08:00","data":{"result":'
    b'"satisfied","valid":1e999999}}',
    b"\xff\xfe\x00garbage",
    b'{"event_id":"b4\x01","case_id":"' + b"x" * 100 + b'","type":"closed","occurred_at":"2026-11-02T09:12:00+08:00",'
    b'"data":{}}',
    b"",
]


def hostile_corpus(n: int, seed: int = 11) -> list[bytes]:
    """Mutations of valid events (wrong types, missing fields, control characters, deep nesting, huge
    numbers, truncation, bad encodings, 900 KB fields), each with its own event_id."""
    import random

    import orjson

    rnd = random.Random(seed)
    base = [orjson.loads(line) for line in GOOD]
    weird: list[Any] = [None, True, 1e308, -(10**30), "", "\x00", "\u202e", "x" * 900_000, [], {}, [[[]]], 7]
    out: list[bytes] = []
    for i in range(n):
        event = {**rnd.choice(base), "event_id": f"fz-{i}"}
        event["data"] = dict(event.get("data", {}))
        kind = i % 9
        if kind == 0:
            event[rnd.choice(["case_id", "type", "occurred_at", "data"])] = rnd.choice(weird)
        elif kind == 1:
            event.pop(rnd.choice(["case_id", "type", "occurred_at", "data"]))
        elif kind == 2:
            event["data"][rnd.choice(["unit", "source", "result", "time_limit", "major"])] = rnd.choice(weird)
        elif kind == 3:
            event["case_id"] = "c" + "".join(chr(rnd.randrange(0, 32)) for _ in range(3))
        elif kind == 4:
            depth = rnd.choice([50, 500, 5000])
            deep = b"[" * depth + b"1" + b"]" * depth if rnd.random() < 0.5 else b'{"k":' * depth + b"1" + b"}" * depth
            out.append(orjson.dumps(event)[:-1] + b',"deep":' + deep + b"}")
            continue
        elif kind == 5:
            out.append(orjson.dumps(event)[: rnd.randrange(1, 60)])  # truncated
            continue
        elif kind == 6:
            out.append(orjson.dumps(event).decode().encode("utf-16"))  # wrongly encoded
            continue
        elif kind == 7:
            out.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300))))  # noise
            continue
        else:
            event["occurred_at"] = rnd.choice(["2026-13-40T99:00:00+08:00", "yesterday", "2026-11-02T09:12:00"])
        try:
            out.append(orjson.dumps(event))
        except (orjson.JSONEncodeError, TypeError):  # e.g. a number beyond 64 bits
            import json

            out.append(json.dumps(event).encode())
    return out
