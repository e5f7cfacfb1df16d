"""Replay one month from Kafka and from the PostgreSQL archive, beside the same month from a file.

    .venv/bin/python benchmarks/replay_sources.py --cases 156000 --runs 3     # ~1M events

Starts the project's own Kafka and PostgreSQL. The month is produced to a fresh topic keyed by case
(as intake does) and archived with the function dispatch uses; then `caseflow replay` runs --runs
times per source, each in a fresh process (wall time and the peak RSS of the process and its workers;
medians; the file replay is the baseline, its ratio 1). All three results are checked to be equal.
Writes bench-results/replay_sources.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from caseflow.infra import db
from caseflow.infra.archive import archive_records
from caseflow.replay.sources import Source
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.local import local_infra

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_speed import WRAP, measure

ROOT = Path(__file__).resolve().parents[1]


async def load(servers: str, url: str, topic: str, lines: list[bytes]) -> dict[str, float]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 4, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True, linger_ms=5,
                                max_batch_size=256 << 10)
    await producer.start()
    start = time.perf_counter()
    for i in range(0, len(lines), 5000):
        futures = [await producer.send(topic, line, key=orjson.loads(line)["case_id"].encode())
                   for line in lines[i:i + 5000]]
        await asyncio.gather(*futures)
    produced = time.perf_counter() - start
    await producer.stop()
    pool = await db.connect(url)
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False,
                                max_poll_records=5000)
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in range(4)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    start = time.perf_counter()
    while any([await consumer.position(tp) < ends[tp] for tp in tps]):
        for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
            async with pool.acquire() as conn, conn.transaction():
                await archive_records(conn, records)
    archived = time.perf_counter() - start
    await consumer.stop()
    await pool.close()
    return {"produce_seconds": produced, "archive_seconds": archived}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=20_000, help="cases in the month (about 6.4 events each)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "replay_sources.json")
    args = ap.parse_args()
    data = ROOT / "var" / "bench"
    data.mkdir(parents=True, exist_ok=True)
    shape = Shape(cases=args.cases, units=60, regions=12, seed=42)
    events, units = data / f"sources-{args.cases}.jsonl", data / "sources-units.yaml"
    lines = list(generate(shape))
    events.write_bytes(b"".join(lines))
    units.write_text(units_yaml(shape), "utf-8")
    with local_infra("bench-sources") as infra:
        url = infra.database_url
        topic = f"bench-{uuid.uuid4().hex[:8]}.case-events"
        loading = asyncio.run(load(infra.kafka_bootstrap_servers, url, topic, lines))
        sources = {"file": Source("file", path=events),
                   "kafka": Source("kafka", bootstrap=infra.kafka_bootstrap_servers, topic=topic),
                   "archive": Source("archive", database_url=url, topic=topic)}
        results: dict[str, dict[str, float]] = {}
        documents = {}
        flags = {"file": ["--input", str(events)],
                 "kafka": ["--from-kafka", "--kafka", infra.kafka_bootstrap_servers, "--topic", topic],
                 "archive": ["--from-archive", "--database-url", url, "--topic", topic]}
        for name in sources:
            cmd = [sys.executable, "-c", WRAP, "module", "caseflow.cli", "replay", *flags[name], "--units",
                   str(units), "--period", "2026-10", "--no-progress", "--workers", str(args.workers)]
            runs = [measure(cmd) for _ in range(args.runs)]
            out = subprocess.run([sys.executable, "-m", "caseflow.cli", *cmd[5:]], capture_output=True, check=True)
            documents[name] = orjson.loads(out.stdout)
            wall, rss = statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs)
            results[name] = {"seconds_median": wall, "events_per_second": len(lines) / wall,
                             "peak_rss_mib": rss / 2**20,
                             "ratio_to_file": wall / results["file"]["seconds_median"] if results else 1.0}
            print(f"{name:8s} {wall:7.2f} s  {len(lines) / wall:9,.0f} events/s  peak {rss / 2**20:6.0f} MiB  "
                  f"{results[name]['ratio_to_file']:.2f}x the file replay's time")
    # The file holds the platform's duplicates, which intake would not forward; here they were produced
    # too, so all three streams carry the same records and must give the same document.
    same = documents["file"] == documents["kafka"] == documents["archive"]
    print(f"results equal across sources: {same}; produce {loading['produce_seconds']:.1f} s, "
          f"archive write {len(lines) / loading['archive_seconds']:,.0f} records/s")
    report = {"events": len(lines), "cases": args.cases, "runs": args.runs, "machine": platform.platform(),
              "cpus": os.cpu_count(), "results": results, "loading": loading, "equal": same}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written to {args.out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
