"""Replay one month from Kafka and from the PostgreSQL archive, beside the same month from a file.

    .venv/bin/python benchmarks/replay_sources.py --cases 156000 --runs 3     # ~1M events
    .venv/bin/python benchmarks/replay_sources.py --cases 156000 --spellings compact,python-json,escaped-ids

Starts the project's own Kafka and PostgreSQL. The month is produced to a fresh topic keyed by case
(as intake does) and archived with the function dispatch uses; then `caseflow replay` runs --runs
times per source, each in a fresh process (wall time and the peak RSS of the process and its workers;
medians; the file replay is the baseline, its ratio 1; beside each, orjson parsing the same file in one
process). With --spellings, the month is written in each spelling to a file and a topic of its own, one
spelling at a time (the topic and the archive are emptied before the next is loaded).
Every result is checked to be equal.
Writes bench-results/replay_sources.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow.sample.spellings import respelled
from caseflow_devstack.local import local_infra

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_speed import WRAP, measure
from replay_spellings import JSON_ONLY
from results import write_results

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
    # A month is audited long after autovacuum has passed over it; vacuum now so no run races it.
    await pool.execute("VACUUM (ANALYZE) event_archive", timeout=3600)
    await pool.close()
    return {"produce_seconds": produced, "archive_seconds": archived}


async def unload(servers: str, url: str, topic: str) -> None:
    """Drop a spelling's topic and archive once measured, so each spelling is read from a broker and a
    database holding one month, as in production (not the months of every spelling before it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    await admin.delete_topics([topic])
    await admin.close()
    pool = await db.connect(url)
    await pool.execute("TRUNCATE event_archive")  # append-only refuses DELETE, not TRUNCATE
    await pool.close()


SPELLINGS = ("compact", "python-json", "shuffled-spaced", "escaped-ids")  # what a Kafka record can be


def replay_cmd(flags: list[str], units: Path, workers: int) -> list[str]:
    return [sys.executable, "-c", WRAP, "module", "caseflow.cli", "replay", *flags, "--units", str(units),
            "--period", "2026-10", "--no-progress", "--workers", str(workers)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=20_000, help="cases in the month (about 6.4 events each)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--spellings", default="compact",
                    help=f"comma-separated JSON spellings of the month, each its own topic: {', '.join(SPELLINGS)}")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "replay_sources.json")
    args = ap.parse_args()
    spellings = [s.strip() for s in args.spellings.split(",") if s.strip()]
    if unknown := set(spellings) - set(SPELLINGS):
        ap.error(f"unknown --spellings {sorted(unknown)}; known: {', '.join(SPELLINGS)}")
    data = ROOT / "var" / "bench"
    data.mkdir(parents=True, exist_ok=True)
    shape = Shape(cases=args.cases, units=60, regions=12, seed=42)
    units = data / "sources-units.yaml"
    units.write_text(units_yaml(shape), "utf-8")
    compact = list(generate(shape))
    results: dict[str, dict[str, dict[str, float]]] = {}
    documents: dict[tuple[str, str], dict[str, object]] = {}
    loadings = {}
    with local_infra("bench-sources") as infra:
        url, servers = infra.database_url, infra.kafka_bootstrap_servers
        for spelling in spellings:
            lines = compact if spelling == "compact" else list(respelled(compact, spelling, seed=7))
            events = data / f"sources-{args.cases}-{spelling}.jsonl"
            events.write_bytes(b"".join(lines))
            topic = f"bench-{uuid.uuid4().hex[:8]}.case-events"
            records = [line.rstrip(b"\r\n") for line in lines if line.strip()]
            loadings[spelling] = asyncio.run(load(servers, url, topic, records))
            del records
            flags = {"file": ["--input", str(events)],
                     "kafka": ["--from-kafka", "--kafka", servers, "--topic", topic],
                     "archive": ["--from-archive", "--database-url", url, "--topic", topic]}
            base = statistics.median(measure([sys.executable, "-c", WRAP, "code", JSON_ONLY, str(events)])[0]
                                     for _ in range(args.runs))
            results[spelling] = {}
            for name, source_flags in flags.items():
                cmd = replay_cmd(source_flags, units, args.workers)
                runs = [measure(cmd) for _ in range(args.runs)]
                out = subprocess.run([sys.executable, "-m", "caseflow.cli", *cmd[5:]], capture_output=True, check=True)
                documents[spelling, name] = orjson.loads(out.stdout)
                wall, rss = statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs)
                file_wall = results[spelling]["file"]["seconds_median"] if results[spelling] else wall
                results[spelling][name] = {"seconds_median": wall, "events_per_second": len(lines) / wall,
                                           "peak_rss_mib": rss / 2**20, "ratio_to_file": wall / file_wall,
                                           "orjson_seconds_median": base, "replay_over_orjson": wall / base}
                print(f"{spelling:16s} {name:8s} {wall:7.2f} s  {len(lines) / wall:9,.0f} events/s  "
                      f"peak {rss / 2**20:6.0f} MiB  {wall / file_wall:.2f}x the file  orjson {base:.2f} s", flush=True)
            asyncio.run(unload(servers, url, topic))
    # The file holds the platform's duplicates, which intake would not forward; here they were produced
    # too, so every stream carries the same records and must give the same document.
    first = documents[spellings[0], "file"]
    same = all(doc == first for doc in documents.values())
    print(f"results equal across sources and spellings: {same}")
    report = {"events": len(compact), "cases": args.cases, "runs": args.runs, "workers": args.workers,
              "results": results, "loading": loadings, "equal": same}
    write_results(args.out, report)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
