"""Do the APIs answer while the services catch up? (issue #36: a replica that took over stopped answering.)

A city's month (17,000 generated cases, ~110,000 events, the month ending now) is posted to intake while
dispatch, scoring and notify are down; then the three start together and catch up on the backlog
(snapshots, the month's alerts, standing indicators, deliveries). All through the catch-up one client asks
scoring for the month's numbers (`GET /v1/periods/<month>`) and notify for a unit's alerts, one request
after the other; then, caught up, the same requests are asked the same number of times on the quiet
stack: the baseline in the same run.

    .venv/bin/python benchmarks/api_during_catchup.py --cases 17000

Prints p50/p99/max for both phases and writes bench-results/api_during_catchup.json. Uses
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set (a fresh database is made in that server)."""

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

import httpx
import orjson

from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.local import local_infra
from caseflow_devstack.postgres_local import fresh_database
from caseflow_devstack.stack import Services

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_throughput import caught_up
from results import write_results

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def ask(urls: dict[str, str], stop: threading.Event, times: dict[str, list[float]], errors: list[str],
        count: int | None = None, ages: list[float] | None = None) -> None:
    """One request after another to each URL until `stop` (or `count` rounds). `ages`: for each scoring
    answer, how old its document was (0 when computed for the request; `served.age_seconds` when the
    replica, catching up, answered with the document of a few seconds ago)."""
    rounds = 0
    with httpx.Client(timeout=60, headers={"X-API-Key": KEY}) as client:
        while not stop.is_set() and (count is None or rounds < count):
            for name, url in urls.items():
                began = time.perf_counter()
                try:
                    answer = client.get(url)
                    answer.raise_for_status()
                except httpx.HTTPError as exc:
                    errors.append(f"{name}: {exc!r}")
                    continue
                times[name].append(time.perf_counter() - began)
                if ages is not None and name.startswith("scoring"):
                    ages.append((orjson.loads(answer.content).get("served") or {}).get("age_seconds", 0.0))
            rounds += 1
            time.sleep(0.1)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(times: list[float]) -> dict[str, float]:
    return {"requests": len(times), "p50_s": statistics.median(times), "p99_s": quantile(times, 0.99),
            "max_s": max(times)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=17000, help="cases in the month (17,000: ~110,000 events)")
    ap.add_argument("--pool", type=int, default=10, help="CASEFLOW_DB_POOL_SIZE for the services")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "api_during_catchup.json")
    args = ap.parse_args()
    now = datetime.now(SHANGHAI)
    shape = Shape(cases=args.cases, units=30, regions=6, seed=11, start=now - timedelta(days=28))
    lines = list(generate(shape))
    month = (now - timedelta(days=14)).strftime("%Y-%m")
    work = ROOT / "var" / "bench" / "catchup"
    work.mkdir(parents=True, exist_ok=True)
    (work / "units.yaml").write_text(units_yaml(shape), "utf-8")
    with local_infra("bench-catchup") as infra:
        db = asyncio.run(fresh_database(infra.database_url, f"bench_catchup_{os.getpid()}"))
        env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers, "DATABASE_URL": db,
               "CASEFLOW_API_KEYS": f"bench:{KEY}", "CASEFLOW_UNITS_FILE": str(work / "units.yaml"),
               "CASEFLOW_TOPIC_PREFIX": f"catchup{os.getpid()}", "CASEFLOW_DB_POOL_SIZE": str(args.pool)}
        services = Services(env, {n: free_port() for n in ("intake", "dispatch", "scoring", "notify")}, work / "logs")
        try:
            services.start(("intake",))
            posted = time.perf_counter()
            with httpx.Client(timeout=120, headers={"X-API-Key": KEY}) as client:
                for i in range(0, len(lines), 500):
                    client.post(f"{services.running['intake'].url}/v1/events:ndjson",
                                content=b"".join(lines[i:i + 500])).raise_for_status()
            print(f"{len(lines):,} events posted in {time.perf_counter() - posted:.1f} s; starting the others")
            services.start(("dispatch", "scoring", "notify"), timeout=180)
            urls = {"scoring /v1/periods": f"{services.running['scoring'].url}/v1/periods/{month}",
                    "notify /v1/units/U-000/alerts": f"{services.running['notify'].url}/v1/units/U-000/alerts"}
            busy = {name: [] for name in urls}
            errors: list[str] = []
            stop = threading.Event()
            ages: list[float] = []
            asker = threading.Thread(target=ask, args=(urls, stop, busy, errors), kwargs={"ages": ages})
            began = time.perf_counter()
            asker.start()
            while not asyncio.run(caught_up(db, args.cases, alerts_too=False)):
                time.sleep(1)
            catch_up = time.perf_counter() - began
            stop.set()
            asker.join()
            time.sleep(5)
            quiet = {name: [] for name in urls}
            rounds = max(len(t) for t in busy.values())
            ask(urls, threading.Event(), quiet, errors, count=rounds)
        finally:
            services.stop_all()
    report = {"events": len(lines),
              "cases": args.cases, "month": month, "pool": args.pool, "catch_up_seconds": catch_up,
              "during_catch_up": {n: figures(t) for n, t in busy.items()},
              "quiet_baseline": {n: figures(t) for n, t in quiet.items()},
              "scoring_document_age_during_catch_up": {
                  "served_recent": sum(a > 0 for a in ages), "computed": sum(a == 0 for a in ages),
                  "p50_s": statistics.median(ages) if ages else None,
                  "p99_s": quantile(ages, 0.99) if ages else None, "max_s": max(ages, default=None)},
              "errors": errors[:20]}
    print(f"caught up in {catch_up:.0f} s ({len(lines):,} events, {args.cases:,} cases)")
    for name in urls:
        b, q = report["during_catch_up"][name], report["quiet_baseline"][name]
        print(f"{name}: during catch-up p50 {b['p50_s']:.3f} p99 {b['p99_s']:.3f} max {b['max_s']:.3f} s "
              f"({b['requests']}); quiet p50 {q['p50_s']:.3f} p99 {q['p99_s']:.3f} s; p99 ratio "
              f"{b['p99_s'] / q['p99_s']:.2f}")
    age = report["scoring_document_age_during_catch_up"]
    if ages:
        print(f"scoring documents during catch-up: {age['computed']} computed for the request, {age['served_recent']} "
              f"served from a recent one; age p50 {age['p50_s']:.2f} p99 {age['p99_s']:.2f} max {age['max_s']:.2f} s")
    if errors:
        print(f"{len(errors)} requests failed, e.g. {errors[0]}")
    write_results(args.out, report)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
