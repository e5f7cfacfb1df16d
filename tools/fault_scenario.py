"""The fault scenario: stream a generated month in at a steady rate while, one after another, each
service is killed -9, then all four at once, the Kafka broker is stopped and restarted, PostgreSQL is
stopped and restarted, and the units' webhook receivers answer 500 for a while. Then check: no
acknowledged event missing from the archive, indicators equal to `caseflow replay`, no alert_id twice
on the alerts topic, every delivery delivered, no receiver given an alert twice unannounced.

    .venv/bin/python -m tools.fault_scenario --cases 150 --rate 40

Starts its own Kafka and PostgreSQL (it must stop and restart them). Prints a table of the faults and
the outcomes and writes bench-results/fault_scenario.json; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from caseflow.config.rules import load_rules
from caseflow.config.schemes import load_schemes
from caseflow.config.units import load_directory
from caseflow.evaluation.document import numbers_document
from caseflow.evaluation.evaluate import Numbers
from caseflow.evaluation.periods import make_period
from caseflow.instants import SHANGHAI
from caseflow.replay.engine import replay
from caseflow.sample.generate import Shape, generate
from caseflow_devstack.kafka_local import LocalKafka, free_port
from caseflow_devstack.postgres_local import LocalPostgres
from caseflow_devstack.stack import SERVICES, Services
from tools.fault_parts import (
    Feeder,
    Receivers,
    Supervisor,
    alerts_on_topic,
    all_ready,
    archived_ids,
    delivery_states,
    duplicated,
    live_document,
    run_async,
)
from tools.fault_report import duplicates_table, explain, months_of, table, units_file

ROOT = Path(__file__).resolve().parents[1]
KEY = "fault-key"


class Scenario:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.kafka = LocalKafka(free_port(), free_port(), name="faults")
        self.postgres = LocalPostgres(free_port(), name="faults")
        self.receivers = Receivers().start()
        self.lock = threading.Lock()
        self.faults: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []

    def kill(self, *names: str) -> None:
        with self.lock:
            for name in names:
                self.services.kill(name)
            for name in names:
                self.services.start_one(name)

    def bounce(self, stop: Callable[[], None], start: Callable[[], object]) -> None:
        stop()
        time.sleep(self.args.outage)
        start()

    def receivers_fail(self) -> None:
        # The outage lasts until it has met at least one delivery (bounded): on a quiet minute no alert
        # may fall inside a fixed window, and then the fault was never exercised.
        refused_before = self.receivers.refused
        self.receivers.failing.set()
        time.sleep(self.args.outage * 2)
        give_up = time.monotonic() + 120
        while self.receivers.refused == refused_before and time.monotonic() < give_up:
            time.sleep(0.2)
        self.receivers.failing.clear()

    def inject(self, name: str, action: Callable[[], None]) -> None:
        refused_before, acked_before = self.feeder.refused, len(self.feeder.acknowledged)
        began, began_ms = time.monotonic(), int(time.time() * 1000)
        action()
        while not (all_ready(self.services) and (len(self.feeder.acknowledged) > acked_before
                                                 or self.feeder.waiting or not self.feeder.is_alive())):
            time.sleep(0.2)
        self.faults.append({"fault": name, "began_ms": began_ms, "recovered_s": round(time.monotonic() - began, 1),
                            "requests_refused": self.feeder.refused - refused_before,
                            "feeding": self.feeder.is_alive()})
        print(f"  {name}: recovered in {self.faults[-1]['recovered_s']} s", flush=True)

    def run(self) -> dict[str, Any]:
        args = self.args
        self.kafka.start()
        self.postgres.start()
        now = datetime.now(SHANGHAI)
        shape = Shape(cases=args.cases, units=9, regions=3, seed=5, start=now - timedelta(days=30))
        lines = list(generate(shape))
        units = units_file(shape, self.receivers.url, self.work / "units.yaml")
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap, "DATABASE_URL": self.postgres.url,
               "CASEFLOW_API_KEYS": f"platform:{KEY}", "CASEFLOW_UNITS_FILE": str(units),
               "CASEFLOW_NOTIFY_GROUP_SECONDS": "0.5", "CASEFLOW_INTAKE_STORE_TIMEOUT": "3"}
        self.services = Services(env, {n: free_port() for n in SERVICES}, self.work / "logs").start(timeout=120)
        supervisor = Supervisor(self.services, self.lock)
        supervisor.start()
        rate = len(lines) / args.feed_seconds
        self.feeder = Feeder(self.services.running["intake"].url, KEY, lines, args.chunk, rate)
        self.feeder.start()
        plan: list[tuple[str, Callable[[], None]]] = [
            *[(f"kill -9 {n}", (lambda n=n: self.kill(n))) for n in SERVICES],
            ("kill -9 all four services", lambda: self.kill(*SERVICES)),
            ("Kafka broker stopped and restarted", lambda: self.bounce(self.kafka.stop,
                                                                       lambda: self.kafka.start(fresh=False))),
            ("PostgreSQL stopped and restarted", lambda: self.bounce(self.postgres.stop, self.postgres.start)),
            ("webhook receivers answer 500", self.receivers_fail),
        ]
        print(f"streaming {len(lines)} events at {rate:.1f}/s; faults every {args.gap} s", flush=True)
        for name, action in plan:
            time.sleep(args.gap)
            self.inject(name, action)
        self.feeder.finish.set()
        self.feeder.join()
        return self.check(lines, units, now, shape, supervisor)

    def check(self, lines: list[bytes], units: Path, now: datetime, shape: Shape,
              supervisor: Supervisor) -> dict[str, Any]:
        rules, schemes, directory = load_rules(), load_schemes(), load_directory(units)
        months = months_of(shape.start or now, now)
        expected = {}
        for m in months:
            result = replay(lines, make_period(m, None, None, None), rules, directory, schemes)
            expected[m] = numbers_document(result.period, Numbers(result.indicators, result.scores, result.listings))
        deadline = time.monotonic() + self.args.settle
        equal: dict[str, bool] = {}
        states: dict[str, int] = {}
        scoring = self.services.running["scoring"].url
        while time.monotonic() < deadline:
            equal = {m: live_document(scoring, KEY, m) == expected[m] for m in months}
            states = run_async(delivery_states(self.postgres.url))
            if all(equal.values()) and set(states) <= {"delivered", "failed"}:
                break
            time.sleep(2)
        archived, records = run_async(archived_ids(self.postgres.url))
        on_topic = [a for lane in ("caseflow.alerts", "caseflow.alerts-backlog")  # an id once across both lanes
                    for a in run_async(alerts_on_topic(self.kafka.bootstrap, lane, 4))]
        ids = [a.alert_id for a in on_topic]
        self.duplicates = explain(duplicated(on_topic), self.faults)
        acked = self.feeder.acknowledged
        offered = {orjson.loads(line)["event_id"] for line in lines}
        fed_during = [f["fault"] for f in self.faults if f["feeding"]]
        unflagged_twice = sum(1 for n in self.receivers.unflagged.values() if n > 1)
        outcome = {
            "events_offered": len(offered), "events_acknowledged": len(acked), "archived_records": records,
            "never_acknowledged": len(offered - acked), "lost": len(acked - archived),
            "archived_but_not_acknowledged": len(archived - acked),
            "indicators_equal_replay": equal, "alerts_on_topic": len(ids),
            "duplicate_alert_ids": len(ids) - len(set(ids)),
            "deliveries": states, "receiver_copies_unflagged_twice": unflagged_twice,
            "receiver_copies_flagged_redelivery": self.receivers.flagged, "receiver_500s": self.receivers.refused,
            "supervisor_restarts": dict(supervisor.restarts),
        }
        outcome["faults_while_streaming"] = f"{len(fed_during)} of {len(self.faults)}"
        outcome["passed"] = (outcome["lost"] == 0 and not outcome["never_acknowledged"] and all(equal.values())
                             and outcome["duplicate_alert_ids"] == 0
                             and unflagged_twice == 0 and set(states) == {"delivered"} and len(ids) > 0
                             and len(fed_during) == len(self.faults) and self.receivers.refused > 0)
        supervisor.stopping.set()
        return outcome

    def stop(self) -> None:
        if hasattr(self, "services"):
            with self.lock:
                self.services.stop_all()
        self.kafka.stop()
        self.postgres.stop()
        for home in (self.kafka.home, self.postgres.home):  # throwaway storage on free ports: gone with the run
            shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=150, help="cases in the generated month (~6.4 events each)")
    ap.add_argument("--feed-seconds", type=float, default=110.0,
                    help="spread the month over this long, so it is still streaming during the last fault")
    ap.add_argument("--chunk", type=int, default=20, help="events per request")
    ap.add_argument("--gap", type=float, default=3.0, help="seconds between faults")
    ap.add_argument("--outage", type=float, default=4.0, help="seconds the broker/database stay down")
    ap.add_argument("--settle", type=float, default=240.0, help="seconds to wait for convergence after the feed")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "fault_scenario.json")
    args = ap.parse_args(argv)
    work = ROOT / "var" / "faults"
    work.mkdir(parents=True, exist_ok=True)
    scenario = Scenario(args, work)
    try:
        outcome = scenario.run()
    finally:
        scenario.stop()
    print(table(scenario.faults, outcome) + duplicates_table(scenario.duplicates))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"faults": scenario.faults, "outcome": outcome, "duplicates": scenario.duplicates},
                                   indent=2, ensure_ascii=False))
    return 0 if outcome["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
