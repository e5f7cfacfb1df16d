"""The province scenario (省级监管平台数据联网, issue #33): three city clusters and one province cluster on
this machine, Kafka's own MirrorMaker 2 between them.

City a runs the whole stack (intake with the province feed, dispatch, scoring, notify); cities b and c
run what their feed needs (their Kafka and intake); the province runs intake (reading every city's
mirrored feed), dispatch and scoring on its own cluster and database. Each city's month streams in at a
steady rate while, in turn: city b's Kafka is stopped for `--outage` seconds and started again,
MirrorMaker 2 is killed with -9 and started again, the province's dispatch and scoring are killed with
-9 and started again; a malformed and a foreign event are written onto city c's feed.

Checked: the province's numbers equal a replay of the cities' events (named by city, rules §11), each
city's slice equals a replay of that city alone, city a's units equal city a's own live numbers; every
acknowledged event counted once; the two bad events kept as rejected records naming city c. Measured:
the lag from a city's acknowledgement to the province's count under the steady feed (p50/p99), and the
catch-up speed after city b's outage (events/s).

    .venv/bin/python -m tools.province_scenario --cases 120 --outage 120

Starts its own four Kafka clusters, PostgreSQL and MirrorMaker 2; writes bench-results/province.json;
exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from caseflow.config.units import read_units_file
from caseflow.instants import SHANGHAI
from caseflow.province.units import City, province_units
from caseflow.sample.generate import Shape, generate
from caseflow_devstack.kafka_local import LocalKafka, free_port
from caseflow_devstack.mirror_maker import LocalMirrorMaker
from caseflow_devstack.postgres_local import LocalPostgres, fresh_database
from caseflow_devstack.stack import SERVICES, Services
from tools.fault_parts import live_document
from tools.fault_report import months_of, units_file
from tools.province_measure import backlog_of_all, backlog_of_city, settle, warmed_up
from tools.province_month import close_city_a, province_report, province_year
from tools.province_parts import (
    Prober,
    TimedFeeder,
    bad_feed_records,
    city_slice,
    expected_documents,
    lags,
    percentiles,
    province_lines,
    rejected_by_city,
    unit_rows,
)

ROOT = Path(__file__).resolve().parents[1]
KEY = "province-key"
OPERATOR_KEY = "province-operator-key"
CITIES = {"a": "甲市", "b": "乙市", "c": "丙县"}
PROVINCE_SERVICES = ("intake", "dispatch", "scoring")


class Scenario:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.postgres = LocalPostgres(free_port(), name="province-scenario")
        self.kafka = {c: LocalKafka(free_port(), free_port(), name=f"city-{c}", heap="256m") for c in CITIES}
        self.kafka["province"] = LocalKafka(free_port(), free_port(), name="province", heap="384m")
        self.stacks: dict[str, Services] = {}
        self.faults: list[dict[str, Any]] = []
        self.signed: dict[str, Any] = {}
        self.report: dict[str, Any] = {}
        self.mirror_back = 0.0

    def start_infra(self) -> None:
        self.postgres.start()
        for broker in self.kafka.values():
            broker.launch()
        for broker in self.kafka.values():
            broker.wait_started(120)

    def stack(self, name: str, database: str, units: Path, names: tuple[str, ...], **extra: str) -> Services:
        url = asyncio.run(fresh_database(self.postgres.url, database))
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.kafka[name].bootstrap, "DATABASE_URL": url,
               "CASEFLOW_API_KEYS": f"platform:{KEY},operator:{OPERATOR_KEY}", "CASEFLOW_UNITS_FILE": str(units),
               "CASEFLOW_INTAKE_STORE_TIMEOUT": "3", "CASEFLOW_DB_POOL_SIZE": "4", "CASEFLOW_DB_API_POOL_SIZE": "2",
               **extra}
        self.stacks[name] = Services(env, {n: free_port() for n in names}, self.work / "logs" / name)
        self.stacks[name].start(names, timeout=180)
        return self.stacks[name]

    def fault(self, name: str, action: Any) -> None:
        began = time.time()
        action()
        self.faults.append({"fault": name, "at_s": round(began - self.began, 1),
                            "took_s": round(time.time() - began, 1)})
        print(f"  {name} at {self.faults[-1]['at_s']} s", flush=True)

    def restart(self, stack: str, *names: str) -> None:
        for name in names:
            self.stacks[stack].kill(name)
        time.sleep(2)
        for name in names:
            self.stacks[stack].start_one(name)
        self.stacks[stack].wait_ready(names, 120)

    def bounce_mirror(self) -> None:
        self.mirror.kill()
        time.sleep(self.args.mirror_outage)
        self.mirror.start()
        self.mirror_back = time.time()

    def run(self) -> dict[str, Any]:
        args = self.args
        self.start_infra()
        now = datetime.now(SHANGHAI)
        start = now - timedelta(days=args.days)
        lines, units = {}, {}
        for i, city in enumerate(CITIES):
            shape = Shape(cases=args.cases if city == "a" else args.cases // 2, units=6, regions=3, seed=31 + i,
                          start=start)
            lines[city] = list(generate(shape))
            units[city] = units_file(shape, "http://127.0.0.1:9/none", self.work / f"units-{city}.yaml")
        province_file = self.work / "units-province.yaml"
        province_file.write_text(yaml.safe_dump(province_units(
            [City(c, name, read_units_file(units[c])) for c, name in CITIES.items()]), allow_unicode=True), "utf-8")
        self.stack("a", "city_a", units["a"], SERVICES, CASEFLOW_PROVINCE_FEED="true")
        for city in ("b", "c"):
            self.stack(city, f"city_{city}", units[city], ("intake",), CASEFLOW_PROVINCE_FEED="true")
        province = self.stack("province", "province", province_file, PROVINCE_SERVICES, CASEFLOW_CITY_FEEDS="true")
        self.mirror = LocalMirrorMaker({c: self.kafka[c].bootstrap for c in CITIES}, "province",
                                       self.kafka["province"].bootstrap, name="province-scenario")
        self.mirror.start()
        prober = Prober(province.env["DATABASE_URL"])
        prober.start()
        feeders = {c: TimedFeeder(self.stacks[c].running["intake"].url, KEY, lines[c], args.chunk,
                                  len(lines[c]) / args.feed_seconds) for c in CITIES}
        self.began = time.time()
        for feeder in feeders.values():
            feeder.start()
        print(f"streaming {sum(len(v) for v in lines.values())} events from 3 cities over {args.feed_seconds} s",
              flush=True)
        warm = warmed_up(prober, CITIES)
        print(f"  the province counts every city's events from {round(warm - self.began, 1)} s", flush=True)
        steady = (warm, warm + args.steady)
        time.sleep(args.steady + 10)  # events of the window's end are counted before the first fault
        self.fault("city b's Kafka stopped", self.kafka["b"].stop)
        outage_began = time.time()
        time.sleep(5)
        asyncio.run(bad_feed_records(self.kafka["c"].bootstrap, "caseflow.province-feed"))
        self.fault("the province's dispatch and scoring killed -9", lambda: self.restart("province", "dispatch",
                                                                                         "scoring"))
        time.sleep(5)
        self.fault("MirrorMaker 2 killed -9 and started again", self.bounce_mirror)
        time.sleep(max(0.0, outage_began + args.outage - time.time()))
        self.fault("city b's Kafka started again", lambda: self.kafka["b"].start(fresh=False))
        back = time.time()
        for feeder in feeders.values():
            feeder.join()
        settled = settle(feeders, lines, prober, args.settle)
        catch_up = {"city_b_outage": backlog_of_city(feeders["b"], "b", lines["b"], prober, outage_began, back),
                    "mirror_maker_down": {**backlog_of_all(feeders, lines, prober, self.mirror_back),
                                          "down_s": args.mirror_outage}}
        prober.stopping.set()
        self.signed = close_city_a(self.stacks["a"], province, units["a"], closed_month(now), OPERATOR_KEY, KEY)
        self.report = province_report(province, self.work, province_file, closed_month(now), KEY)
        self.year = province_year(province, closed_month(now)[:4], KEY)
        return self.check(lines, province_file, now, start, feeders, prober, steady, settled, catch_up)

    def check(self, lines: dict[str, list[bytes]], province_file: Path, now: datetime, start: datetime,
              feeders: dict[str, TimedFeeder], prober: Prober, steady: tuple[float, float], settled: float,
              catch_up: dict[str, Any]) -> dict[str, Any]:
        months = months_of(start, now)
        named = {c: province_lines(c, lines[c]) for c in CITIES}
        everything = [line for c in CITIES for line in named[c]]
        expected = expected_documents(everything, province_file, months)
        province_url = self.stacks["province"].running["scoring"].url
        city_a_url = self.stacks["a"].running["scoring"].url
        live = {m: live_document(province_url, KEY, m) for m in months}
        equal_replay = {m: live[m] == expected[m] for m in months}
        per_city: dict[str, bool] = {}
        for city in CITIES:
            alone = expected_documents(named[city], province_file, months)
            per_city[city] = all(city_slice(live[m], city) == city_slice(alone[m], city) for m in months)
        city_a_live = {m: live_document(city_a_url, KEY, m) for m in months}
        equal_city_a = {m: unit_rows(city_a_live[m]) == city_slice(live[m], "a")["units"] for m in months}
        rejected = asyncio.run(rejected_by_city(self.kafka["province"].bootstrap, "caseflow.dead-letter"))
        signed = self.signed.get("cities", {})
        months_compared = {c: {k: v for k, v in row.items() if k in ("equal", "differing", "signed")}
                           for c, row in signed.items()}
        counts = asyncio.run(_province_counts(self.stacks["province"].env["DATABASE_URL"]))
        acked = sum(len(f.acked_at) for f in feeders.values())
        steady_lag = [x for c in CITIES for x in lags(feeders[c], c, lines[c], prober, steady)]
        outcome = {
            "events_offered": sum(len(v) for v in lines.values()), "events_acknowledged": acked,
            "province_accepted": counts["accepted"], "province_events_stored": counts["stored"],
            "province_events_distinct": counts["distinct"],
            "equal_replay": equal_replay, "each_city_equals_its_replay": per_city,
            "city_a_units_equal_its_own": equal_city_a,
            "rejected_naming_city_c": rejected, "kept_rejections": counts["rejections"],
            "settled_in_s": settled, "closed_month": self.signed.get("month"), "signed_months": months_compared,
            "close_error": self.signed.get("error"), "province_report": self.report, "province_year": self.year,
            "steady_lag": percentiles(steady_lag), "catch_up_after_city_b_outage": catch_up,
            "faults": self.faults,
        }
        outcome["passed"] = (all(equal_replay.values()) and all(per_city.values()) and all(equal_city_a.values())
                             and counts["stored"] == counts["distinct"] and rejected == {"c": 2}
                             and counts["rejections"] == {"c": 2} and signed.get("a", {}).get("equal") is True
                             and not signed.get("b", {}).get("signed") and not signed.get("c", {}).get("signed")
                             and sorted(self.report.get("regions", [])) == sorted(CITIES)
                             and {c for c, _ in self.report.get("city_regions", [])} == {CITIES["a"]}
                             and sorted(self.year.get("ranks", {})) == sorted(CITIES)
                             and all(f.acked_at for f in feeders.values()))
        return outcome

    def stop(self) -> None:
        if hasattr(self, "mirror"):
            self.mirror.stop()
            shutil.rmtree(self.mirror.home, ignore_errors=True)
        for stack in self.stacks.values():
            stack.stop_all()
        for broker in self.kafka.values():
            broker.stop()
        self.postgres.stop()
        for home in [self.postgres.home, *(b.home for b in self.kafka.values())]:
            shutil.rmtree(home, ignore_errors=True)


def closed_month(now: datetime) -> str:
    """The last month that has ended."""
    first = now.replace(day=1)
    last = first - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


async def _province_counts(url: str) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        kept = await conn.fetch("SELECT city, count(*) AS n FROM city_feed_rejections GROUP BY city")
        return {"rejections": {r["city"]: r["n"] for r in kept},
                "accepted": await conn.fetchval("SELECT count(*) FROM intake_accepted"),
                "stored": await conn.fetchval("SELECT count(*) FROM dispatch_events"),
                "distinct": await conn.fetchval("SELECT count(DISTINCT event_id) FROM dispatch_events")}
    finally:
        await conn.close()


def main(argv: list[str] | None = None, while_running: Callable[[Scenario], None] | None = None) -> int:
    """`while_running`, if given, is called with the scenario after its checks, its stacks still up (a
    test looks at the province's page there)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=120, help="city a's cases (b and c get half each)")
    ap.add_argument("--days", type=int, default=33,
                    help="the cities' months start this many days ago (28 days of events; the last ended month is "
                         "closed by city a)")
    ap.add_argument("--feed-seconds", type=float, default=180.0, help="each city's month streams over this long")
    ap.add_argument("--steady", type=float, default=40.0, help="seconds of steady feed (the lag's window) first")
    ap.add_argument("--outage", type=float, default=120.0, help="seconds city b's Kafka is down")
    ap.add_argument("--mirror-outage", type=float, default=2.0,
                    help="seconds MirrorMaker 2 stays down after its kill -9 (the cities keep streaming)")
    ap.add_argument("--chunk", type=int, default=5, help="events per request")
    ap.add_argument("--settle", type=float, default=240.0, help="seconds to wait for the province to catch up")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "province.json")
    args = ap.parse_args(argv)
    work = ROOT / "var" / "province-scenario"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    scenario = Scenario(args, work)
    try:
        outcome = scenario.run()
        if while_running is not None:
            while_running(scenario)
    finally:
        scenario.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"outcome": outcome, "args": {k: str(v) for k, v in vars(args).items()},
                                    "at": datetime.now().astimezone().isoformat(timespec="seconds")},
                                   ensure_ascii=False, indent=2), "utf-8")
    print(json.dumps(outcome, ensure_ascii=False, indent=2))
    return 0 if outcome["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
