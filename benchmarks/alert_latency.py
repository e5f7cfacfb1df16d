"""Alert latency: 1,000 deadlines falling in the same minute across 60 units; time from each deadline
to the overdue alert's receipt at a local webhook. Runs the stack (own Kafka/PostgreSQL unless the
environment names them), once with grouping off and once with the default 5 s window.

    .venv/bin/python benchmarks/alert_latency.py [--cases 1000] [--units 60]

Prints p50/p99 and writes bench-results/alert_latency.json. Targets: p99 <= 1 s for alerts that
open a group (and with grouping off); no grouped alert later than its window + 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import yaml
from results import write_results

from caseflow.instants import SHANGHAI
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.local import local_infra
from caseflow_devstack.stack import SERVICES, Services

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


class Backlogged(ThreadingHTTPServer):
    """The stdlib default backlog (5) drops concurrent connections (1 s SYN retries): a real receiver has more."""

    request_queue_size = 256
    daemon_threads = True


class Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[str, float, list[dict]]] = []  # (path, received at, alerts)  # type: ignore[type-arg]
        self.lock = threading.Lock()

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                at = time.time()
                body = orjson.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                with outer.lock:
                    outer.arrivals.append((self.path, at, body.get("alerts", [body])))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        server = Backlogged(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"


def run_once(cases: int, units: int, window: float, lead: float) -> dict[str, float]:
    receiver = Receiver()
    server, base = receiver.serve()
    unit_ids = [f"U{i:03d}" for i in range(units)]
    path = ROOT / "var" / "bench" / f"alert-units-{units}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"units": [
        {"id": u, "class": 1 + i % 3, "channels": [{"type": "webhook", "url": f"{base}/{u}"}]}
        for i, u in enumerate(unit_ids)]}))
    try:
        with local_infra("alertbench") as infra:
            env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers, "DATABASE_URL": infra.database_url,
                   "CASEFLOW_API_KEYS": f"bench:{KEY}", "CASEFLOW_UNITS_FILE": str(path),
                   "CASEFLOW_TOPIC_PREFIX": f"alertbench{os.getpid()}{int(window * 10)}",
                   "CASEFLOW_NOTIFY_GROUP_SECONDS": str(window)}
            services = Services(env, {n: free_port() for n in SERVICES}, ROOT / "var" / "bench" / "alert-logs")
            try:
                services.start()
                rnd = random.Random(11)
                run = int(time.time())
                now = datetime.now(SHANGHAI)
                minute = now + timedelta(seconds=lead)
                deadlines = {}
                lines = []
                for i in range(cases):
                    case = f"AL{int(window * 10)}-{run}-{i:05d}"
                    deadline = minute + timedelta(seconds=rnd.uniform(0, 60))
                    deadlines[case] = deadline.timestamp()
                    for kind, data in (("reported", {"source": "collector", "category": "event", "major": "01",
                                                     "minor": "01", "region": "R", "grid": "G"}),
                                       ("filed", {"urgency": "urgent"}),  # deadline_at counts wall time
                                       ("dispatched", {"unit": unit_ids[i % units],
                                                       "deadline_at": deadline.isoformat(timespec="milliseconds")})):
                        lines.append(orjson.dumps({"event_id": f"{case}-{kind}", "case_id": case, "type": kind,
                                                   "occurred_at": now.isoformat(timespec="milliseconds"),
                                                   "data": data}))
                with httpx.Client(timeout=60, headers={"X-API-Key": KEY}) as client:
                    for j in range(0, len(lines), 500):
                        client.post(f"{services.running['intake'].url}/v1/events:ndjson",
                                    content=b"\n".join(lines[j:j + 500])).raise_for_status()
                end = minute.timestamp() + 60 + window + 15
                while time.time() < end:
                    with receiver.lock:
                        got = {a["case_id"] for _, _, alerts in receiver.arrivals for a in alerts
                               if a["type"] == "overdue" and a["level"] == 1 and a["reminder"] == 0}
                    if len(got) >= cases:
                        break
                    time.sleep(0.5)
            finally:
                services.stop_all()
    finally:
        server.shutdown()
    # An alert opens a group when its receiver got no message in the window before its deadline;
    # otherwise it may wait for the window to close.
    openers, grouped = [], []
    times: dict[str, list[float]] = {}
    for path_, at, _ in receiver.arrivals:
        times.setdefault(path_, []).append(at)
    for path_, at, alerts in receiver.arrivals:
        for a in alerts:
            if a["type"] == "overdue" and a["level"] == 1 and a["reminder"] == 0:
                deadline = deadlines[a["case_id"]]
                prior = [t for t in times[path_] if t < deadline]
                opens = window == 0 or not prior or deadline - max(prior) >= window
                (openers if opens else grouped).append(at - deadline)
    received = len(openers) + len(grouped)
    every = sorted(openers + grouped)

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * q))] if xs else float("nan")

    return {"window_s": window, "overdue_alerts_received": received, "of_deadlines": cases,
            "p50_s": statistics.median(every) if every else float("nan"), "p99_s": pct(every, 0.99),
            "openers": len(openers), "openers_p99_s": pct(openers, 0.99),
            "grouped": len(grouped), "grouped_max_s": max(grouped) if grouped else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--lead", type=float, default=40.0, help="seconds from now to the deadline minute")
    ap.add_argument("--windows", default="0,5", help="grouping windows to run, seconds, comma separated")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "alert_latency.json")
    args = ap.parse_args()
    windows = [float(w) for w in args.windows.split(",")]
    results = [run_once(args.cases, args.units, window, args.lead) for window in windows]
    for r in results:
        print(f"window {r['window_s']:>3.0f} s: {r['overdue_alerts_received']}/{r['of_deadlines']} overdue alerts; "
              f"p50 {r['p50_s'] * 1000:.0f} ms, p99 {r['p99_s'] * 1000:.0f} ms; "
              f"openers p99 {r['openers_p99_s'] * 1000:.0f} ms ({r['openers']}); "
              f"grouped max {r['grouped_max_s'] * 1000:.0f} ms ({r['grouped']})")
    write_results(args.out, {"runs": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
