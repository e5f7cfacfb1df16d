"""Capacity: the live pipeline (intake -> dispatch -> scoring) on 1 and 3 Kafka brokers with 1 and 2
replicas of dispatch and scoring, as fast as intake takes the events. Per configuration (medians of
--runs): events/s through to scoring, the latency from intake's answer to the case in scoring (probes
under load), and each service's CPU-seconds per 1,000 events (all its replicas together, from /proc),
with the brokers' and PostgreSQL's share as the rest of the machine's busy time. Ratios are to the
1-broker, 1-replica run of the same script.

    .venv/bin/python benchmarks/capacity.py --cases 3000 --runs 3

Writes bench-results/capacity.json; the sizing table in docs/benchmarks.md "Capacity" is read from it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from live_throughput import KEY, caught_up, post_bulk, probe_latency
from results import write_results

from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_cluster import LocalKafkaCluster
from caseflow_devstack.kafka_local import LocalKafka, free_port
from caseflow_devstack.postgres_local import LocalPostgres, fresh_database
from caseflow_devstack.stack import Services

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (the services are single processes)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM)."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def machine_busy_seconds() -> float:
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


@contextmanager
def kafka(brokers: int) -> Iterator[str]:
    if brokers == 1:
        single = LocalKafka(free_port(), free_port(), name=f"capacity-{os.getpid()}").start()
        try:
            yield single.bootstrap
        finally:
            single.stop()
            shutil.rmtree(single.home, ignore_errors=True)
        return
    cluster = LocalKafkaCluster(name=f"capacity-{os.getpid()}").start()
    try:
        yield cluster.bootstrap
    finally:
        cluster.stop()
        for node in cluster.nodes:
            shutil.rmtree(node.home, ignore_errors=True)


def one_run(bootstrap: str, database: str, brokers: int, replicas: int, lines: list[bytes], cases: int,
            units: Path, run: int) -> dict[str, float]:
    names = ("intake", *[f"{s}{'' if i == 1 else f'-{i}'}" for s in ("dispatch", "scoring")
                          for i in range(1, replicas + 1)])
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": database, "CASEFLOW_API_KEYS": f"bench:{KEY}",
           "CASEFLOW_UNITS_FILE": str(units), "CASEFLOW_TOPIC_PREFIX": f"cap{os.getpid()}-{brokers}-{replicas}-{run}",
           "CASEFLOW_REPLICATION_FACTOR": str(brokers), "CASEFLOW_MIN_INSYNC_REPLICAS": str(min(2, brokers))}
    services = Services(env, {n: free_port() for n in names}, ROOT / "var" / "bench" / "capacity-logs")
    try:
        services.start(names, timeout=180)
        pids = {n: s.process.pid for n, s in services.running.items()}
        cpu0, busy0 = {n: cpu_seconds(p) for n, p in pids.items()}, machine_busy_seconds()
        posted, samples = threading.Event(), []
        start = time.perf_counter()
        feeder = threading.Thread(target=post_bulk, args=(services.running["intake"].url, lines, 100, 0, posted))
        feeder.start()
        asyncio.run(probe_latency(services.running["intake"].url, database, posted, samples))
        feeder.join()
        while not asyncio.run(caught_up(database, cases + len(samples))):
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        cpu = {n: cpu_seconds(p) - cpu0[n] for n, p in pids.items()}
        busy = machine_busy_seconds() - busy0
        rss = {n: peak_rss_mib(p) for n, p in pids.items()}
    finally:
        services.stop_all()
    per_k = 1000 / len(lines)
    by_service = {s: sum(v for n, v in cpu.items() if n.startswith(s)) * per_k
                  for s in ("intake", "dispatch", "scoring")}
    samples.sort()
    return {"events_per_second": len(lines) / seconds, "seconds": seconds,
            "latency_p50_ms": statistics.median(samples) * 1000,
            "latency_p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000,
            **{f"cpu_s_per_1000_{s}": v for s, v in by_service.items()},
            **{f"peak_rss_mib_{s}": max(v for n, v in rss.items() if n.startswith(s)) for s in by_service},
            "cpu_s_per_1000_rest": (busy - sum(cpu.values())) * per_k}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--configs", default="1b-1r,1b-2r,3b-1r,3b-2r", help="which of 1b-1r,1b-2r,3b-1r,3b-2r")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "capacity.json")
    args = ap.parse_args()
    now = datetime.now(SHANGHAI)
    shape = Shape(cases=args.cases, units=30, regions=6, seed=3, start=now - timedelta(days=28))
    lines = list(generate(shape))
    cases = len({orjson.loads(line)["case_id"] for line in lines if b'"reported"' in line})
    units = ROOT / "var" / "bench" / "capacity-units.yaml"
    units.parent.mkdir(parents=True, exist_ok=True)
    units.write_text(units_yaml(shape), "utf-8")
    results: dict[str, dict[str, float]] = {}
    postgres = LocalPostgres(free_port(), name=f"capacity-{os.getpid()}").start()
    try:
        wanted = args.configs.split(",")
        for brokers in (1, 3):
            if not any(c.startswith(f"{brokers}b") for c in wanted):
                continue
            with kafka(brokers) as bootstrap:
                for replicas in (1, 2):
                    if f"{brokers}b-{replicas}r" not in wanted:
                        continue
                    runs = []
                    for run in range(args.runs):
                        database = asyncio.run(fresh_database(postgres.url, f"cap_{brokers}_{replicas}_{run}"))
                        runs.append(one_run(bootstrap, database, brokers, replicas, lines, cases, units, run))
                        print(f"  {brokers} broker(s), {replicas} replica(s), run {run + 1}: "
                              f"{runs[-1]['events_per_second']:,.0f} events/s", flush=True)
                    results[f"{brokers}b-{replicas}r"] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    finally:
        postgres.stop()
        shutil.rmtree(postgres.home, ignore_errors=True)
    base = (results.get("1b-1r") or next(iter(results.values())))["events_per_second"]
    print(f"{len(lines)} events, {cases} cases; medians of {args.runs}; ratio to 1 broker, 1 replica")
    print(f"{'config':8} {'events/s':>9} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}  CPU-s per 1,000 events: "
          "intake dispatch scoring rest")
    for name, r in results.items():
        print(f"{name:8} {r['events_per_second']:9,.0f} {r['events_per_second'] / base:6.2f} "
              f"{r['latency_p50_ms']:7.0f} {r['latency_p99_ms']:7.0f}  {r['cpu_s_per_1000_intake']:.3f} "
              f"{r['cpu_s_per_1000_dispatch']:.3f} {r['cpu_s_per_1000_scoring']:.3f} {r['cpu_s_per_1000_rest']:.3f}"
              f"  peak RSS MiB: {r['peak_rss_mib_intake']:.0f} {r['peak_rss_mib_dispatch']:.0f} "
              f"{r['peak_rss_mib_scoring']:.0f}")
    report = {"events": len(lines), "cases": cases, "runs": args.runs, "results": results}
    write_results(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
