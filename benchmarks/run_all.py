"""Every benchmark in one command: replay speed, replay sources, live throughput and latency, alert
latency. Each figure is a median over --runs runs and is shown beside a baseline measured in the same
run. Writes bench-results/all.json and the generated section of docs/benchmarks.md.

    .venv/bin/python benchmarks/run_all.py              # the published sizes (about 30 minutes here)
    .venv/bin/python benchmarks/run_all.py --quick      # small sizes, one run each; docs left alone
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- run_all:start -->", "<!-- run_all:end -->"


def machine() -> dict[str, Any]:
    from caseflow_devstack.kafka_local import pinned_version
    from caseflow_devstack.postgres_local import pg_bin

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    pg = subprocess.run([str(pg_bin() / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**20, 1), "os": platform.platform(),
            "python": platform.python_version(), "kafka": pinned_version(), "postgresql": pg,
            "date": datetime.now().astimezone().isoformat(timespec="seconds")}


REUSE: set[str] = set()  # scripts whose last outputs are read back instead of run again (--reuse)


def bench(script: str, *args: str, run: int = 1) -> dict[str, Any]:
    out = RESULTS / f"all-{script}-{run}.json"
    if script in REUSE and out.exists():
        print(f"reusing {out.name}", flush=True)
        reused: dict[str, Any] = json.loads(out.read_text())
        return reused
    cmd = [sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), *args, "--out", str(out)]
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def webhook_round_trip(samples: int = 200) -> float:
    """Baseline for alert latency: one HTTP POST to a local receiver, p50 seconds."""
    sys.path.insert(0, str(ROOT))
    from http.server import BaseHTTPRequestHandler

    from tests.support.receivers import serving

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    with serving(Handler) as url, httpx.Client() as client:
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            client.post(url, content=b'{"alert_id": "x"}')
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def collect(args: argparse.Namespace) -> dict[str, Any]:
    runs = str(args.runs)
    replay = bench("replay_speed", "--cases", str(args.replay_cases), "--runs", runs)
    sources = bench("replay_sources", "--cases", str(args.sources_cases), "--runs", runs)
    live = [bench("live_throughput", "--cases", str(args.live_cases), "--rate", str(args.live_rate), run=n)
            for n in range(1, args.runs + 1)]
    alerts = [bench("alert_latency", "--cases", str(args.alert_cases), "--windows", "0", run=n)
              for n in range(1, args.alert_runs + 1)]
    rtt = webhook_round_trip()
    alert_runs = [a["runs"][0] for a in alerts]
    return {
        "machine": machine(), "runs": args.runs,
        "replay": {"events": replay["events"], "workers": replay.get("workers", 1),
                   **{k: v for k, v in replay["results"].items()}},
        "replay_sources": {"events": sources["events"], **sources["results"]},
        "live": {"events": live[0]["events"], "offered_per_s": args.live_rate,
                 "through_per_s": median_of(live, "events_per_second"),
                 "p50_ms": median_of(live, "latency_p50_ms"), "p99_ms": median_of(live, "latency_p99_ms"),
                 "baseline_raw_kafka_per_s": median_of(live, "baseline_raw_kafka_events_per_second")},
        "alerts": {"deadlines": alert_runs[0]["of_deadlines"], "p50_s": median_of(alert_runs, "p50_s"),
                   "p99_s": median_of(alert_runs, "p99_s"), "baseline_webhook_post_s": rtt},
    }


def markdown(data: dict[str, Any]) -> str:
    m, r, s, lv, al = data["machine"], data["replay"], data["replay_sources"], data["live"], data["alerts"]
    src = s["compact"]  # replay_sources' results by spelling, then source
    base = r["json_only"]["seconds_median"]
    rows = [
        ("replay, end to end", f"{r['replay']['events_per_second']:,.0f} events/s "
         f"({r['replay']['peak_rss_mib']:.0f} MiB peak, {r.get('workers', 1)} workers)",
         f"orjson.loads only: {r['json_only']['events_per_second']:,.0f}/s",
         f"{r['replay']['seconds_median'] / base:.1f}x the time"),
        ("replay, parse + validate only", f"{r['parse_validate']['events_per_second']:,.0f} events/s", "same",
         f"{r['parse_validate']['seconds_median'] / base:.1f}x the time"),
        ("replay from Kafka", f"{src['kafka']['events_per_second']:,.0f} events/s", "replay from the file",
         f"{src['kafka']['ratio_to_file']:.2f}x the time"),
        ("replay from the archive", f"{src['archive']['events_per_second']:,.0f} events/s", "replay from the file",
         f"{src['archive']['ratio_to_file']:.2f}x the time"),
        ("live: intake -> scoring", f"{lv['through_per_s']:,.0f} events/s (offered {lv['offered_per_s']:,.0f})",
         f"raw aiokafka produce+consume: {lv['baseline_raw_kafka_per_s']:,.0f}/s",
         f"{lv['through_per_s'] / lv['baseline_raw_kafka_per_s']:.3f}x the rate"),
        ("live: ack -> visible, p50 / p99", f"{lv['p50_ms']:.0f} ms / {lv['p99_ms']:.0f} ms", "-", "-"),
        ("alert: deadline -> webhook, p50 / p99", f"{al['p50_s'] * 1000:.0f} ms / {al['p99_s'] * 1000:.0f} ms",
         f"one local webhook POST: {al['baseline_webhook_post_s'] * 1000:.1f} ms",
         f"{al['p50_s'] / al['baseline_webhook_post_s']:.0f}x (p50)"),
    ]
    lines = [START, "", f"Generated by `benchmarks/run_all.py` on {m['date']}: {m['cpu']}, {m['cores']} cores, "
             f"{m['memory_gib']} GiB, {m['os']}, Python {m['python']}, Kafka {m['kafka']}, {m['postgresql']}. "
             f"Medians of {data['runs']} runs (replay {r['events']:,} events, sources {s['events']:,}, "
             f"live {lv['events']:,}, alerts {al['deadlines']:,} deadlines).", "",
             "| what | median | baseline (same run) | ratio |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join([*lines, "", END])


def publish(data: dict[str, Any]) -> None:
    text = DOC.read_text("utf-8")
    block = markdown(data)
    if START in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.replace("\n", "\n\n## Latest full run\n\n" + block + "\n", 1)
    DOC.write_text(text, "utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and one run each")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reuse", default="", help="comma-separated scripts (e.g. replay_speed,alert_latency) whose "
                                                "outputs from the last run are read back, not run again")
    args = ap.parse_args()
    sizes = dict(replay_cases=1_560_000, sources_cases=156_000, live_cases=6000, live_rate=2000, alert_cases=1000,
                 alert_runs=3)
    if args.quick:
        sizes = dict(replay_cases=5000, sources_cases=2000, live_cases=600, live_rate=1000, alert_cases=100,
                     alert_runs=1)
        args.runs = 1
    for k, v in sizes.items():
        setattr(args, k, v)
    REUSE.update(x.strip() for x in args.reuse.split(",") if x.strip())
    data = collect(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("all-quick.json" if args.quick else "all.json")).write_text(json.dumps(data, indent=2))
    if not args.quick:  # a smoke run's small sizes are not figures to publish
        publish(data)
    print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
