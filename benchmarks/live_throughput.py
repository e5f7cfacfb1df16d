"""Live pipeline: sustained events/s through intake -> Kafka -> dispatch -> Kafka -> scoring, and the
latency from intake's acknowledgement to the case being visible in scoring, measured under that load.

    .venv/bin/python benchmarks/live_throughput.py --cases 3000

Starts the project's own Kafka and PostgreSQL (or uses KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL) and
the services as real processes; prints the figures and writes bench-results/live_throughput.json.
The baseline is raw aiokafka produce+consume of the same events in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from results import write_results

from caseflow.infra import topics
from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.local import local_infra
from caseflow_devstack.stack import Services

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


POSTED: dict[str, float] = {}
PROBES: list[float] = []


def post_bulk(url: str, lines: list[bytes], chunk: int, rate: float, done: threading.Event) -> None:
    """Offer the events at `rate` events/s (0: as fast as intake takes them), `chunk` per request."""
    start = time.perf_counter()
    with httpx.Client(timeout=120, headers={"X-API-Key": KEY}) as client:
        for i in range(0, len(lines), chunk):
            if rate:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            r = client.post(f"{url}/v1/events:ndjson", content=b"".join(lines[i:i + chunk]))
            r.raise_for_status()
    POSTED["seconds"] = time.perf_counter() - start
    done.set()


async def caught_up(db: str, cases: int, alerts_too: bool = True) -> bool:
    """Every case scored at its latest version, and nothing left to relay (`alerts_too=False`: scoring's
    alerts aside; a month streamed long after it happened raises its whole alert backlog at once)."""
    conn = await asyncpg.connect(db)
    try:
        scored = await conn.fetchval("SELECT count(*) FROM scoring_cases")
        behind = await conn.fetchval("SELECT count(*) FROM outbox WHERE $1 OR topic NOT LIKE '%.alerts'", alerts_too)
        versions = await conn.fetchval("SELECT coalesce(sum(version), 0) FROM dispatch_cases")
        seen = await conn.fetchval("SELECT coalesce(sum(version), 0) FROM scoring_cases")
        return bool(scored >= cases and behind == 0 and versions == seen)
    finally:
        await conn.close()


async def probe_latency(intake: str, db: str, stop: threading.Event, samples: list[float]) -> None:
    conn = await asyncpg.connect(db)
    n = 0
    try:
        async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": KEY}) as client:
            while not stop.is_set() or n < 20:
                n += 1
                case = f"PROBE-{n}"
                event = {"event_id": f"probe-{n}", "case_id": case, "type": "reported",
                         "occurred_at": "2026-10-20T10:00:00+08:00",
                         "data": {"source": "collector", "category": "event", "major": "01", "minor": "01",
                                  "region": "R-00", "grid": "G", "road_grade": "secondary"}}
                r = await client.post(f"{intake}/v1/events", content=orjson.dumps(event))
                acked = time.perf_counter()
                r.raise_for_status()
                while not await conn.fetchval("SELECT 1 FROM scoring_cases WHERE case_id = $1", case):
                    await asyncio.sleep(0.01)  # 10 ms resolution; tighter polling steals a core
                samples.append(time.perf_counter() - acked)
                await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def raw_kafka_baseline(bootstrap: str, lines: list[bytes]) -> float:
    """Produce the same events to a fresh topic and consume them back: aiokafka's own ceiling here."""
    from caseflow.infra.settings import Settings

    settings = Settings(kafka_bootstrap_servers=bootstrap, topic_prefix=f"baseline{os.getpid()}")
    await topics.ensure_topics(settings)
    topic = settings.topic("case-events")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"baseline{os.getpid()}")
    await producer.start()
    await consumer.start()
    start = time.perf_counter()
    futures = [await producer.send(topic, line, key=orjson.loads(line)["case_id"].encode()) for line in lines]
    await asyncio.gather(*futures)
    got = 0
    while got < len(lines):
        for records in (await consumer.getmany(timeout_ms=500)).values():
            got += len(records)
    seconds = time.perf_counter() - start
    await producer.stop()
    await consumer.stop()
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--chunk", type=int, default=100, help="events per intake request")
    ap.add_argument("--rate", type=float, default=2000, help="offered events/s (0: as fast as possible)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "live_throughput.json")
    args = ap.parse_args()
    # The 28 days up to now: the deadline clock sees what a live system sees (not a month of old overdue).
    now = datetime.now(SHANGHAI)
    shape = Shape(cases=args.cases, units=30, regions=6, seed=3, start=now - timedelta(days=28))
    lines = list(generate(shape))
    cases = len({orjson.loads(line)["case_id"] for line in lines if b'"reported"' in line})
    with local_infra("bench") as infra:
        bootstrap, db = infra.kafka_bootstrap_servers, infra.database_url
        units = ROOT / "var" / "bench" / "live-units.yaml"
        units.parent.mkdir(parents=True, exist_ok=True)
        units.write_text(units_yaml(shape), "utf-8")
        env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": db, "CASEFLOW_API_KEYS": f"bench:{KEY}",
               "CASEFLOW_UNITS_FILE": str(units), "CASEFLOW_TOPIC_PREFIX": f"bench{os.getpid()}"}
        services = Services(env, {n: free_port() for n in ("intake", "dispatch", "scoring")},
                            ROOT / "var" / "bench" / "logs")
        try:
            # The baseline first: it also warms the broker's JIT, as a production broker is warm; a cold
            # JVM compiling during the measured run was the largest source of variance between runs.
            baseline = asyncio.run(raw_kafka_baseline(bootstrap, lines))
            services.start(("intake", "dispatch", "scoring"))
            intake = services.running["intake"].url
            posted = threading.Event()
            samples: list[float] = []
            start = time.perf_counter()
            feeder = threading.Thread(target=post_bulk, args=(intake, lines, args.chunk, args.rate, posted))
            feeder.start()
            asyncio.run(probe_latency(intake, db, posted, samples))
            feeder.join()
            while not asyncio.run(caught_up(db, cases + len(samples))):
                time.sleep(0.2)
            seconds = time.perf_counter() - start
        finally:
            services.stop_all()
    PROBES.extend(samples)
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    rate = len(lines) / seconds
    base_rate = len(lines) / baseline
    print(f"offered {args.rate:,.0f} events/s; {len(lines)} events, {cases} cases done in {seconds:.1f} s "
          f"-> {rate:,.0f} events/s through to scoring")
    print("probe latencies (ms, in order):", [round(x * 1000) for x in PROBES])
    print(f"intake took the events at {len(lines) / POSTED['seconds']:,.0f} events/s")
    print(f"ack -> visible in scoring under load: p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms "
          f"({len(samples)} probes)")
    print(f"baseline raw aiokafka produce+consume: {base_rate:,.0f} events/s; pipeline / baseline = "
          f"{rate / base_rate:.3f}")
    report = {"offered_events_per_second": args.rate, "probe_latencies_ms": [round(x * 1000) for x in PROBES],
              "events": len(lines), "cases": cases, "seconds": seconds, "events_per_second": rate,
              "latency_p50_ms": p50 * 1000, "latency_p99_ms": p99 * 1000, "probes": len(samples),
              "baseline_raw_kafka_events_per_second": base_rate, "ratio_to_baseline": rate / base_rate}
    write_results(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
