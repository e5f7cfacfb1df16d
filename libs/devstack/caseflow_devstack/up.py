"""`caseflow up`: the whole stack on this machine — Kafka, PostgreSQL, the four services, a sample feed."""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson

from caseflow.config.units import read_units_file
from caseflow.instants import SHANGHAI
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.local import Infra, local_infra
from caseflow_devstack.paths import var_dir
from caseflow_devstack.stack import SERVICES, Services
from caseflow_devstack.stopping import StopSignals

EXAMPLES = """examples:
  caseflow up                      # everything local, a sample month fed in, URLs printed; Ctrl-C stops all
  caseflow up --cases 2000         # a bigger sample feed
  caseflow up --units units.yaml   # your own units file, with your DingTalk/WeCom robots and webhooks
  caseflow up --no-feed            # an empty stack
The sample feed is October 2026 plus a few cases falling due in the next minutes, so alerts arrive
while you watch a unit's board. Each unit gets a board token (printed; all in var/up/unit-tokens.txt).
Uses KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set instead of starting its own."""

# New keys each run (printed at start): no service ever runs with a key everybody knows.
API_KEY = "local-" + secrets.token_urlsafe(12)
OPERATOR_KEY = "operator-" + secrets.token_urlsafe(12)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-port", type=int, default=8001, help="intake on this port, then dispatch, scoring, notify")
    p.add_argument("--kafka-port", type=int, default=19092)
    p.add_argument("--postgres-port", type=int, default=15432)
    p.add_argument("--cases", type=int, default=300, help="cases in the sample feed (October 2026)")
    p.add_argument("--no-feed", action="store_true", help="start without the sample feed")
    p.add_argument("--units", type=Path, help="your units file (ids, names, classes, channels); the sample "
                   "feed is spread over its units. Default: 12 sample units without channels")
    p.add_argument("--due-soon", type=int, default=12, help="cases whose deadlines fall in the next minutes")


def unit_list(units_path: Path) -> list[tuple[str, str]]:
    return [(u.id, u.display_name) for u in read_units_file(units_path).units]


def due_soon(units: list[str], n: int, now: datetime) -> list[bytes]:
    """Cases dispatched now whose deadlines fall over the next ~10 minutes: warnings, then overdue."""
    rnd, lines = random.Random(), []
    places = ["临平大道 118 号东侧", "南苑街道迎宾路口", "东湖北路 56 号", "星桥街道星光街 9 号"]
    problems = ["暴露垃圾", "井盖缺失", "占道经营", "违规广告牌", "道路破损"]
    for i in range(n):
        case = f"DEMO-{now:%H%M%S}-{i:02d}"
        deadline = now + timedelta(seconds=90 + i * 45 + rnd.uniform(0, 20))
        at = now.isoformat(timespec="seconds")
        for kind, data in (("reported", {"source": "collector", "category": "event", "major": "01", "minor": "01",
                                         "region": "R-00", "grid": "G-00-0", "road_grade": "primary",
                                         "description": problems[i % len(problems)],
                                         "address": places[i % len(places)]}),
                           ("filed", {"urgency": "urgent"}),
                           ("dispatched", {"unit": units[i % len(units)], "deadline_at": deadline.isoformat()})):
            lines.append(orjson.dumps({"event_id": f"{case}-{kind}", "case_id": case, "type": kind,
                                       "occurred_at": at, "data": data}) + b"\n")
    return lines


def feed(intake_url: str, cases: int, units: list[str], soon: int) -> int:
    shape = Shape(cases=cases, units=12, regions=4, seed=7)
    rename = {f"U-{i:03d}": units[i % len(units)] for i in range(12)}
    lines = [_renamed(line, rename) for line in generate(shape)] + due_soon(units, soon, datetime.now(SHANGHAI))
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


def _renamed(line: bytes, rename: dict[str, str]) -> bytes:
    if b'"unit"' not in line:
        return line
    event = orjson.loads(line)
    unit = event.get("data", {}).get("unit")
    if unit in rename:
        event["data"]["unit"] = rename[unit]
    return orjson.dumps(event) + b"\n"


def run(args: argparse.Namespace) -> int:
    with StopSignals().installed():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    services = None
    try:
        with local_infra("up", args.kafka_port, args.postgres_port) as infra:
            units_path = args.units
            if units_path is None:
                units_path = Path(tempfile.gettempdir()) / "caseflow-up-units.yaml"
                units_path.write_text(units_yaml(Shape(units=12, regions=4)), "utf-8")
            units = unit_list(units_path)
            if not units:
                print(f"{units_path}: no units (expected `units: [{{id: …, name: …, class: 1}}]`)", file=sys.stderr)
                return 2
            tokens = {u: secrets.token_urlsafe(12) for u, _ in units}
            token_file = var_dir() / "up" / "unit-tokens.txt"
            token_file.parent.mkdir(parents=True, exist_ok=True)
            token_file.write_text("".join(f"{u}\t{name}\t{t}\n" for (u, name), t in zip(units, tokens.values(),
                                                                                          strict=True)), "utf-8")
            ports = {name: args.base_port + i for i, name in enumerate(SERVICES)}
            notify_url = f"http://127.0.0.1:{ports['notify']}"
            env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers, "DATABASE_URL": infra.database_url,
                   "CASEFLOW_UNITS_FILE": str(units_path),
                   "CASEFLOW_API_KEYS": f"local:{API_KEY},operator:{OPERATOR_KEY}",
                   "CASEFLOW_UNIT_TOKENS": ",".join(f"{u}:{t}" for u, t in tokens.items()),
                   "CASEFLOW_PUBLIC_URL": notify_url, "CASEFLOW_SCORING_URL": f"http://127.0.0.1:{ports['scoring']}",
                   "CASEFLOW_LINK_SECRET": secrets.token_urlsafe(24)}
            services = Services(env, ports, var_dir() / "up" / "logs")
            try:
                services.start()
                if not args.no_feed:
                    feed(services.running["intake"].url, args.cases, [u for u, _ in units], args.due_soon)
                first, name = units[0]
                print(_banner(services, infra, f"{notify_url}/units/{first}#token={tokens[first]}", name,
                              token_file), flush=True)
                StopSignals.wait_forever()  # until SIGTERM or Ctrl-C unwinds it (caseflow_devstack.stopping)
            finally:
                print("\nstopping ...", file=sys.stderr)
                services.stop_all()
    except KeyboardInterrupt:
        pass
    return 0


def _banner(services: Services, infra: Infra, unit_board: str, unit_name: str, token_file: Path) -> str:
    s = services.running
    return f"""
caseflow is up. API key for every call: {API_KEY}   operator key (close a month, silences): {OPERATOR_KEY}
  {unit_name}'s board (open on a phone or here): {unit_board}
  command centre's board:   {s['notify'].url}/board   (sign in with the operator key)
  every unit's board token: {token_file}
  intake   {s['intake'].url}/docs        POST events: {s['intake'].url}/v1/events
  scoring  {s['scoring'].url}/docs
           curl -H 'X-API-Key: {API_KEY}' '{s['scoring'].url}/v1/scoreboard/county-interim?period=2026-10'
  dispatch {s['dispatch'].url}/docs
  notify   {s['notify'].url}/docs   (deliveries: /v1/deliveries?unit=…)
  metrics  {s['intake'].url}/metrics (each service has /metrics, /healthz, /readyz)
  Kafka {infra.kafka_bootstrap_servers}   PostgreSQL {infra.database_url}   logs {var_dir() / 'up' / 'logs'}
Ctrl-C stops everything."""
