"""`caseflow up`: the whole stack on this machine — Kafka, PostgreSQL, the four services, a sample feed."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

import httpx

from caseflow.infra.local import Infra, local_infra
from caseflow.infra.paths import var_dir
from caseflow.infra.stack import SERVICES, Services
from caseflow.sample.generate import Shape, generate, units_yaml

EXAMPLES = """examples:
  caseflow up                      # everything local, a sample month fed in, URLs printed; Ctrl-C stops all
  caseflow up --cases 2000         # a bigger sample feed
  caseflow up --no-feed            # an empty stack
Uses KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set instead of starting its own."""

API_KEY = "local-dev-key"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-port", type=int, default=8001, help="intake on this port, then dispatch, scoring, notify")
    p.add_argument("--kafka-port", type=int, default=19092)
    p.add_argument("--postgres-port", type=int, default=15432)
    p.add_argument("--cases", type=int, default=300, help="cases in the sample feed (October 2026)")
    p.add_argument("--no-feed", action="store_true", help="start without the sample feed")


def feed(intake_url: str, cases: int, units_path: Path) -> int:
    shape = Shape(cases=cases, units=12, regions=4, seed=7)
    lines = list(generate(shape))
    sent = 0
    with httpx.Client(timeout=60, headers={"X-API-Key": API_KEY}) as client:
        for i in range(0, len(lines), 500):
            chunk = b"".join(lines[i:i + 500])
            r = client.post(f"{intake_url}/v1/events:ndjson", content=chunk,
                            headers={"content-type": "application/x-ndjson"})
            if r.status_code not in (200, 207):
                raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")
            sent += len(lines[i:i + 500])
            print(f"\r  sample feed: {sent}/{len(lines)} events", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return sent


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services = None
    try:
        with local_infra("up", args.kafka_port, args.postgres_port) as infra:
            units_path = Path(tempfile.gettempdir()) / "caseflow-up-units.yaml"
            units_path.write_text(units_yaml(Shape(units=12, regions=4)), "utf-8")
            ports = {name: args.base_port + i for i, name in enumerate(SERVICES)}
            env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers, "DATABASE_URL": infra.database_url,
                   "CASEFLOW_UNITS_FILE": str(units_path), "CASEFLOW_API_KEYS": f"local:{API_KEY}"}
            services = Services(env, ports, var_dir() / "up" / "logs")
            try:
                services.start()
                if not args.no_feed:
                    feed(services.running["intake"].url, args.cases, units_path)
                print(_banner(services, infra), flush=True)
                stop.wait()
            finally:
                print("\nstopping ...", file=sys.stderr)
                services.stop_all()
    except KeyboardInterrupt:
        pass
    return 0


def _banner(services: Services, infra: Infra) -> str:
    s = services.running
    return f"""
caseflow is up. API key for every call: {API_KEY}
  intake   {s['intake'].url}/docs        POST events: {s['intake'].url}/v1/events
  scoring  {s['scoring'].url}/docs
           curl -H 'X-API-Key: {API_KEY}' '{s['scoring'].url}/v1/scoreboard/county-interim?period=2026-10'
  dispatch {s['dispatch'].url}/docs
  notify   {s['notify'].url}/healthz
  metrics  {s['intake'].url}/metrics (each service has /metrics, /healthz, /readyz)
  Kafka {infra.kafka_bootstrap_servers}   PostgreSQL {infra.database_url}   logs {var_dir() / 'up' / 'logs'}
Ctrl-C stops everything."""
