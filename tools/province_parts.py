"""Parts of the province scenario: a feeder that notes when the city acknowledged each event, a prober
that notes when the province counted it, and the numbers a replay of the cities' events gives."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from caseflow.config.rules import load_rules
from caseflow.config.schemes import load_schemes
from caseflow.config.units import load_directory
from caseflow.contract.mapping import Invalid, validate
from caseflow.contract.province_feed import for_province, namespaced
from caseflow.domain.indicator_keys import RELATIVE_RATES
from caseflow.evaluation.document import numbers_document
from caseflow.evaluation.evaluate import Numbers
from caseflow.evaluation.periods import make_period
from caseflow.instants import to_ms
from caseflow.replay.engine import replay


class TimedFeeder(threading.Thread):
    """Offers a city's month to its intake at a steady rate, `chunk` lines per request, each sent again
    until acknowledged (the platform's behaviour while the city's Kafka is away); notes the instant each
    event was acknowledged."""

    def __init__(self, url: str, key: str, lines: Sequence[bytes], chunk: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.lines, self.chunk, self.rate = url, key, lines, chunk, rate
        self.acked_at: dict[str, float] = {}
        self.refused = 0

    def run(self) -> None:
        start = time.monotonic()
        with httpx.Client(timeout=15, headers={"X-API-Key": self.key}) as client:
            for i in range(0, len(self.lines), self.chunk):
                delay = start + i / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                while True:
                    try:
                        r = client.post(f"{self.url}/v1/events:ndjson", content=b"".join(self.lines[i:i + self.chunk]))
                        if r.status_code in (200, 207, 422):
                            break
                    except httpx.HTTPError:
                        pass
                    self.refused += 1
                    time.sleep(0.3)
                now = time.time()
                for v in r.json().get("results", []):
                    if v["status"] in ("accepted", "duplicate") and v["event_id"] not in self.acked_at:
                        self.acked_at[v["event_id"]] = now


class Prober(threading.Thread):
    """Polls the province's scoring: the first instant each case was seen with each last event time (an
    event counts once its case's newest event in scoring is at least as late)."""

    def __init__(self, database_url: str, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.database_url, self.every = database_url, every
        self.seen: dict[str, list[tuple[int, float]]] = defaultdict(list)  # case -> [(last_event_at ms, seen at)]
        self.stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self._poll())

    async def _poll(self) -> None:
        conn: asyncpg.Connection | None = None
        while not self.stopping.is_set():
            try:
                conn = conn or await asyncpg.connect(self.database_url)
                rows = await conn.fetch("SELECT case_id, last_event_at FROM scoring_cases")
                now = time.time()
                for r in rows:
                    at = int(r["last_event_at"].timestamp() * 1000)
                    seen = self.seen[r["case_id"]]
                    if not seen or seen[-1][0] < at:
                        seen.append((at, now))
            except (OSError, asyncpg.PostgresError):
                conn = None  # the province's tables are not there yet, or the database restarts
            await asyncio.sleep(self.every)
        if conn is not None:
            await conn.close()

    def counted_at(self, case_id: str, occurred_ms: int) -> float | None:
        return next((t for at, t in self.seen.get(case_id, ()) if at >= occurred_ms), None)


def province_lines(city: str, lines: Sequence[bytes]) -> list[bytes]:
    """A city's valid events as the province takes them (rules §11); invalid ones never leave the city."""
    out = []
    for line in lines:
        if not isinstance(validate(line), Invalid):
            out.append(orjson.dumps(namespaced(orjson.loads(for_province(line)), city)))
    return out


def expected_documents(lines: Sequence[bytes], units: Path, months: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What `caseflow replay` gives for each month (the numbers part)."""
    rules, schemes, directory = load_rules(), load_schemes(), load_directory(units)
    out = {}
    for month in months:
        result = replay(list(lines), make_period(month, None, None, None), rules, directory, schemes)
        out[month] = numbers_document(result.period, Numbers(result.indicators, result.scores, result.listings))
    return out


def lags(feeder: TimedFeeder, city: str, lines: Sequence[bytes], prober: Prober,
         window: tuple[float, float] | None = None) -> list[float]:
    """Seconds from the city's acknowledgement to the province's count, for events acknowledged in
    `window` (wall-clock instants) or all; events the province never counted are left out."""
    out = []
    for line in lines:
        event = orjson.loads(line)
        acked = feeder.acked_at.get(event["event_id"])
        if acked is None or (window and not window[0] <= acked < window[1]):
            continue
        counted = prober.counted_at(f"{city}:{event['case_id']}", to_ms(datetime.fromisoformat(event["occurred_at"])))
        if counted is not None:
            out.append(max(0.0, counted - acked))
    return out


def percentiles(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50_s": None, "p99_s": None, "max_s": None}
    ordered = sorted(values)
    return {"n": len(values), "p50_s": round(statistics.median(ordered), 3),
            "p99_s": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
            "max_s": round(ordered[-1], 3)}


def city_slice(document: Mapping[str, Any], city: str) -> dict[str, Any]:
    """A city's units (their counts and rates, not those relative to every unit of the province; ranks
    are the province's) and its region in a province document, under the city's own ids."""
    units = {u[len(city) + 1:]: {k: v for k, v in row.items() if k != "scores" and k not in RELATIVE_RATES}
             for u, row in document["units"].items() if u.startswith(f"{city}:")}
    return {"units": units, "region": document["regions"].get(city)}


def unit_rows(document: Mapping[str, Any]) -> dict[str, Any]:
    return {u: {k: v for k, v in row.items() if k != "scores" and k not in RELATIVE_RATES}
            for u, row in document["units"].items()}


async def bad_feed_records(bootstrap: str, topic: str) -> None:
    """What a city's feed must never carry, written straight onto it: a malformed record, and an event
    with a personal field."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        foreign = {"event_id": "foreign-1", "case_id": "FOREIGN-1", "type": "reported",
                   "occurred_at": "2026-11-02T09:12:00+08:00",
                   "data": {"source": "public", "category": "event", "major": "01", "minor": "01", "region": "R-00",
                            "grid": "R-00-G1", "reporter": "13800000000"}}
        await producer.send_and_wait(topic, b"{not json", key=b"bad")
        await producer.send_and_wait(topic, orjson.dumps(foreign), key=b"FOREIGN-1")
    finally:
        await producer.stop()


async def rejected_by_city(bootstrap: str, topic: str, partitions: int = 4) -> dict[str, int]:
    """The province's dead-letter records from its cities' feeds, counted by the city they name."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        counts: dict[str, int] = defaultdict(int)
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in tps])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    city = dict(r.headers).get("city")
                    if city:
                        counts[city.decode()] += 1
        return dict(counts)
    finally:
        await consumer.stop()
