"""What the province scenario measures, from the feeders' acknowledgements and the prober's counts: when
the province is warm, when it has counted everything, how fast it drains a backlog."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from caseflow.instants import to_ms
from tools.province_parts import Prober, TimedFeeder, lags


def warmed_up(prober: Prober, cities: Iterable[str], timeout: float = 180.0) -> float:
    """When the province first counted an event of every city (MirrorMaker 2 and the consumers have
    found the feeds): the steady window starts there."""
    end = time.time() + timeout
    while time.time() < end:
        if all(any(case.startswith(f"{c}:") for case in list(prober.seen)) for c in cities):
            return time.time()
        time.sleep(0.2)
    raise RuntimeError(f"the province counted nothing of some city within {timeout} s")


def settle(feeders: dict[str, TimedFeeder], lines: dict[str, list[bytes]], prober: Prober, timeout: float) -> float:
    """Seconds until the province counted every acknowledged event (or the timeout)."""
    began = time.time()
    while time.time() - began < timeout:
        missing = sum(len(feeders[c].acked_at) - len(lags(feeders[c], c, lines[c], prober)) for c in feeders)
        if missing <= 0:
            break
        time.sleep(2)
    return round(time.time() - began, 1)


def counted_after(feeder: TimedFeeder, city: str, lines: list[bytes], prober: Prober, acked_before: float,
                  back: float) -> list[float]:
    """When the province counted each of the city's events acknowledged before `acked_before` that it
    counted only after `back`."""
    out = []
    for line in lines:
        event = orjson.loads(line)
        acked = feeder.acked_at.get(event["event_id"])
        if acked is None or acked >= acked_before:
            continue
        at = prober.counted_at(f"{city}:{event['case_id']}", to_ms(datetime.fromisoformat(event["occurred_at"])))
        if at is not None and at >= back:
            out.append(at)
    return out


def backlog_of_all(feeders: dict[str, TimedFeeder], lines: dict[str, list[bytes]], prober: Prober,
                   back: float) -> dict[str, Any]:
    """The events the cities acknowledged while MirrorMaker 2 was down: how fast the province counted
    them once it was back."""
    return drained([at for c in feeders for at in counted_after(feeders[c], c, lines[c], prober, back, back)], back)


def backlog_of_city(feeder: TimedFeeder, city: str, lines: list[bytes], prober: Prober, down: float,
                    back: float) -> dict[str, Any]:
    """A city's events the province counted only after the city's Kafka came back."""
    return {**drained(counted_after(feeder, city, lines, prober, float("inf"), back), back),
            "outage_s": round(back - down)}


def drained(counted: list[float], back: float) -> dict[str, Any]:
    """A backlog counted after `back`: how many, when the first arrived, how long it took in all, and
    the rate while it drained (first to last)."""
    if not counted:
        return {"events": 0}
    first, last = min(counted), max(counted)
    return {"events": len(counted), "first_after_s": round(first - back, 1), "all_after_s": round(last - back, 1),
            "events_per_s": round(len(counted) / (last - first), 1) if last > first else None}
