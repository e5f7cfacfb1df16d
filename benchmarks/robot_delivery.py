"""Robots under a backlog: a month of history streamed in while fresh deadlines fall due, for 60 units
on 20 DingTalk/WeCom robots (each shared by 3 units), against stand-ins that enforce the vendors'
documented limits (tools/robot_standins.py). Runs the whole stack (own Kafka/PostgreSQL unless the
environment names them).

    .venv/bin/python benchmarks/robot_delivery.py [--cases 2000] [--fresh 60] [--runs 3] [--kills 0]

A month's backlog with crashes, as issue #34 asks (>= 100,000 events, dispatch and scoring killed with -9
on the way and started again; with one replica of each a kill stops that service's consumer and clock
until it is back; `--replicas 2` runs a second of each, as production does, and the kills hit the first):

    .venv/bin/python benchmarks/robot_delivery.py --cases 17000 --kills 4 --lead 60 --spread 240 --runs 1 [--replicas 2]

Prints, per run and as medians: messages accepted and refused (target 0 refused), the most messages
any robot took in a minute (target <= 20), deliveries not delivered and why, and the latency from
each fresh deadline to the first accepted robot message naming its case, p50 / p99 (target p99 <= 2 s
while the history's alerts drain). Baseline in the same run: the same fresh cases' latency to their
overdue alert's arrival in notify's inbox (the pipeline before delivery). Writes
bench-results/robot_delivery.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from results import write_results

from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, region_ids, unit_ids
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.local import local_infra
from caseflow_devstack.stack import SERVICES, Services

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stand-ins live in tools/
from tools.robot_standins import RobotStandins  # noqa: E402

KEY = "bench-key"
SECRET = "SECbench"


def units_file(shape: Shape, robots: RobotStandins, path: Path) -> Path:
    units = []
    for i, (uid, cls) in enumerate(unit_ids(shape)):
        r = i % 20
        channel = ({"type": "wecom", "url": robots.wecom(f"wk{r}")} if r < 12 else
                   {"type": "dingtalk", "url": robots.dingtalk(f"dt{r}", SECRET, "城管"), "secret": SECRET,
                    "keyword": "城管"})
        units.append({"id": uid, "name": f"责任单位{uid[2:]}", "class": cls, "channels": [channel]})
    path.write_text(yaml.safe_dump({"units": units, "regions": [{"id": r} for r in region_ids(shape)],
                                    "command_centre": {"channels": [{"type": "wecom", "url": robots.wecom("cc")}]}},
                                   allow_unicode=True), "utf-8")
    return path


def fresh_cases(shape: Shape, n: int, lead: float, spread: float) -> tuple[list[bytes], dict[str, float]]:
    rnd, now = random.Random(3), datetime.now(SHANGHAI)
    units = [u for u, _ in unit_ids(shape)]
    lines, deadlines = [], {}
    for i in range(n):
        case = f"FRESH-{int(now.timestamp())}-{i:03d}"
        deadline = now + timedelta(seconds=lead + rnd.uniform(0, spread))
        deadlines[case] = deadline.timestamp()
        for kind, data in (("reported", {"source": "collector", "category": "event", "major": "01", "minor": "01",
                                         "region": "R-00", "grid": "G", "description": f"新鲜案件 {i}",
                                         "address": f"测试路 {i} 号"}),
                           ("filed", {"urgency": "urgent"}),
                           ("dispatched", {"unit": units[i % len(units)],
                                           "deadline_at": deadline.isoformat(timespec="milliseconds")})):
            lines.append(orjson.dumps({"event_id": f"{case}-{kind}", "case_id": case, "type": kind,
                                       "occurred_at": now.isoformat(timespec="milliseconds"), "data": data}))
    return lines, deadlines


def post(url: str, lines: list[bytes], chunk: int = 500) -> None:
    with httpx.Client(timeout=120, headers={"X-API-Key": KEY}) as client:
        for j in range(0, len(lines), chunk):
            client.post(f"{url}/v1/events:ndjson", content=b"\n".join(lines[j:j + chunk])).raise_for_status()


async def delivery_summary(url: str) -> tuple[dict[str, int], list[tuple[str, str]], dict[str, float],
                                              dict[str, float]]:
    conn = await asyncpg.connect(url)
    try:
        states = {r["status"]: r["n"] for r in await conn.fetch(
            "SELECT status, count(*) AS n FROM notify_deliveries GROUP BY status")}
        failed = [(r["receiver"], r["last_error"]) for r in await conn.fetch(
            "SELECT receiver, last_error FROM notify_deliveries WHERE status = 'failed' LIMIT 20")]
        inbox = {r["case_id"]: r["at"].timestamp() for r in await conn.fetch(
            "SELECT case_id, min(received_at) AS at FROM notify_inbox WHERE case_id LIKE 'FRESH-%' "
            "AND body->>'type' = 'overdue' GROUP BY case_id")}
        raised = {r["case_id"]: r["at"].timestamp() for r in await conn.fetch(
            "SELECT case_id, min(raised_at) AS at FROM alerts_raised WHERE case_id LIKE 'FRESH-%' "
            "AND type = 'overdue' GROUP BY case_id")}
        return states, failed, inbox, raised
    finally:
        await conn.close()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")


def killer(services: Services, kills: int, every: float, down: float, stop: threading.Event,
           done: list[tuple[str, float]]) -> None:
    """kill -9 dispatch and scoring in turn, `every` seconds, each started again after `down` seconds."""
    for i in range(kills):
        if stop.wait(every):
            return
        name = ("dispatch", "scoring")[i % 2]
        services.kill(name)
        done.append((name, time.time()))
        time.sleep(down)
        services.start_one(name)
        services.wait_ready((name,), timeout=120)


async def on_topic(bootstrap: str, topic: str, partitions: int = 4) -> dict[str, float]:
    """When each fresh case's first overdue alert reached the alerts topic (the record's timestamp: the
    outbox relay's send), between scoring raising it and notify taking it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: dict[str, float] = {}
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for r in records:
                    if b"FRESH-" in (r.value or b"") and b'"overdue"' in (r.value or b""):
                        alert = orjson.loads(r.value or b"{}")
                        case = alert.get("case_id", "")
                        if alert.get("type") == "overdue" and case not in found:
                            found[case] = r.timestamp / 1000
        return found
    finally:
        await consumer.stop()


def run_once(args: argparse.Namespace, run: int) -> dict[str, Any]:
    robots = RobotStandins().start()
    work = ROOT / "var" / "bench" / f"robots-{run}"
    work.mkdir(parents=True, exist_ok=True)
    shape = Shape(cases=args.cases, units=60, regions=6, seed=20 + run,
                  start=datetime.now(SHANGHAI) - timedelta(days=29))
    history = list(generate(shape))
    units = units_file(shape, robots, work / "units.yaml")
    try:
        with local_infra(f"robotbench{run}") as infra:
            env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers, "DATABASE_URL": infra.database_url,
                   "CASEFLOW_API_KEYS": f"bench:{KEY}", "CASEFLOW_UNITS_FILE": str(units),
                   "CASEFLOW_TOPIC_PREFIX": f"robotbench{os.getpid()}r{run}",
                   "CASEFLOW_PUBLIC_URL": "http://127.0.0.1:8004"}
            names = SERVICES + (("dispatch-2", "scoring-2") if args.replicas == 2 else ())
            services = Services(env, {n: free_port() for n in names}, work / "logs")
            try:
                services.start(names, timeout=120)
                intake = services.running["intake"].url
                fresh, deadlines = fresh_cases(shape, args.fresh, args.lead, args.spread)
                feeder = threading.Thread(target=post, args=(intake, history), daemon=True)
                kills: list[tuple[str, float]] = []
                calm = threading.Event()
                crasher = threading.Thread(target=killer, args=(services, args.kills, args.kill_every, 3.0, calm,
                                                                kills), daemon=True)
                began = time.time()
                feeder.start()
                crasher.start()
                time.sleep(args.lead / 4)  # the backlog is building when the fresh cases arrive
                post(intake, fresh)
                end = max(deadlines.values()) + args.settle
                while time.time() < end:
                    texts = robots.texts()
                    told = {c for c in deadlines for text in texts if f"【一级】{c}" in text}
                    if len(told) == len(deadlines) and not feeder.is_alive():
                        break
                    time.sleep(1)
                feeder.join()
                calm.set()
                crasher.join()
                states, failed, inbox, raised = asyncio.run(delivery_summary(infra.database_url))
                settle_until = time.time() + args.digest_wait
                while time.time() < settle_until and set(states) - {"delivered", "failed", "silenced"}:
                    time.sleep(5)  # late alerts wait for their receiver's next digest
                    states, failed, inbox, raised = asyncio.run(delivery_summary(infra.database_url))
                sent = asyncio.run(on_topic(infra.kafka_bootstrap_servers, f"{env['CASEFLOW_TOPIC_PREFIX']}.alerts"))
            finally:
                services.stop_all()
    finally:
        robots.stop()
    first_told: dict[str, float] = {}
    for r in sorted(robots.accepted, key=lambda r: r.at):
        text = (r.body.get("markdown") or {}).get("text") or (r.body.get("markdown") or {}).get("content") or ""
        for case in deadlines:
            if case not in first_told and f"【一级】{case}" in text:
                first_told[case] = r.at
    latency = [first_told[c] - d for c, d in deadlines.items() if c in first_told]  # to the overdue message
    to_inbox = [inbox[c] - d for c, d in deadlines.items() if c in inbox]
    return {
        "history_events": len(history), "fresh_cases": len(deadlines),
        "kills": [(name, round(at - began, 1)) for name, at in kills], "stream_s": round(time.time() - began, 1),
        "messages_accepted": len(robots.accepted), "messages_refused": len(robots.refused),
        "refusals": sorted({c for _, _, c, _ in robots.refused}),
        "most_in_a_minute": max(robots.most_in_a_minute().values(), default=0),
        "largest_body_bytes": max((r.size for r in robots.accepted), default=0),
        "digests": sum(1 for t in robots.texts() if "补发" in t), "deliveries": states, "failed_examples": failed,
        "fresh_told": len(latency), "fresh_not_told": sorted(set(deadlines) - set(first_told)),
        "fresh_latencies_s": [round(x, 3) for x in sorted(latency)],
        "fresh_p50_s": statistics.median(latency) if latency else float("nan"),
        "fresh_p99_s": pct(latency, 0.99), "fresh_max_s": max(latency, default=float("nan")),
        "baseline_inbox_p50_s": statistics.median(to_inbox) if to_inbox else float("nan"),
        "baseline_inbox_p99_s": pct(to_inbox, 0.99),
        # where the slowest fresh cases spent their time: deadline (s after the stream began) -> raised by
        # scoring's clock -> in notify's inbox -> in a robot's accepted message
        "slowest": [{"case": c, "deadline_at_s": round(d - began, 1),
                     "raised_s": round(raised[c] - d, 3) if c in raised else None,
                     "on_topic_s": round(sent[c] - d, 3) if c in sent else None,
                     "inbox_s": round(inbox[c] - d, 3) if c in inbox else None,
                     "told_s": round(first_told[c] - d, 3) if c in first_told else None}
                    for c, d in sorted(deadlines.items(), key=lambda x: -(first_told.get(x[0], 1e9) - x[1]))[:10]],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=2000, help="cases in the history month (~6.4 events each)")
    ap.add_argument("--fresh", type=int, default=60, help="fresh cases whose deadlines fall due meanwhile")
    ap.add_argument("--lead", type=float, default=40.0, help="seconds from now to the first fresh deadline")
    ap.add_argument("--spread", type=float, default=90.0, help="fresh deadlines spread over this many seconds")
    ap.add_argument("--settle", type=float, default=40.0, help="seconds to wait after the last deadline")
    ap.add_argument("--digest-wait", type=float, default=180.0,
                    help="at most this long after the stream for the last digests (one per receiver per 2 min)")
    ap.add_argument("--kills", type=int, default=0, help="kill -9 dispatch and scoring in turn this many times")
    ap.add_argument("--kill-every", type=float, default=45.0, help="seconds between kills (each down 3 s)")
    ap.add_argument("--replicas", type=int, choices=(1, 2), default=1,
                    help="replicas of dispatch and scoring (2: the kills hit the first; the second carries on)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "robot_delivery.json")
    args = ap.parse_args()
    runs = []
    for run in range(args.runs):
        result = run_once(args, run)
        runs.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    keys = ("messages_accepted", "messages_refused", "most_in_a_minute", "fresh_p50_s", "fresh_p99_s",
            "baseline_inbox_p50_s", "baseline_inbox_p99_s")
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    print("medians:", json.dumps(medians))
    write_results(args.out, {"runs": runs, "medians": medians, "args": vars(args) | {"out": str(args.out)}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
