"""How long an assessor waits on scoring's /whatif page: a generated month's cases stored as scoring keeps
them, scoring started on them, then, alternating run by run, `POST /v1/whatif` with a draft (one weight of
standard-department moved) beside the baseline `GET /v1/periods/MONTH?recompute=true` (the same month's
document counted afresh from PostgreSQL). The first what-if after the start (it counts every case; later
ones reuse each unchanged case's part, as the period API does) is timed apart and checked: every unit
scored, the moved scheme changed. Medians of --runs and their ratio; scoring's peak RSS.

    .venv/bin/python benchmarks/whatif_served.py --cases 17000 --runs 5     # a city's month (~2 min here)

Writes bench-results/whatif_served.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import datetime
from importlib import resources
from pathlib import Path

import httpx
from capacity import peak_rss_mib
from results import write_results

from caseflow.config.rules import load_rules
from caseflow.contract import snapshot
from caseflow.evaluation.periods import month_bounds
from caseflow.infra import db
from caseflow.instants import SHANGHAI
from caseflow.replay.engine import CaseBook
from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.local import local_infra
from caseflow_devstack.stack import Services
from caseflow_scoring.store.cases import save_on_case_snapshots

ROOT = Path(__file__).resolve().parents[1]
MONTH, KEY = "2026-10", "bench-key"
ADOPTED = (resources.files("caseflow.config") / "schemes" / "standard-department.yaml").read_text("utf-8")
DRAFT = ADOPTED.replace("{weight: 30, key: on_time_rate}", "{weight: 50, key: on_time_rate}")


async def store_month(database_url: str, shape: Shape) -> int:
    """The month's cases as scoring keeps them (one snapshot per case, as of the month's end)."""
    book = CaseBook(load_rules(None, None, None))
    for seq, line in enumerate(generate(shape)):
        book.add_raw(line.rstrip(b"\n"), seq, month_bounds(MONTH)[1])
    pool = await db.connect(database_url)
    try:
        await db.migrate(pool)
        states = list(book.cases())
        for i in range(0, len(states), 2_000):
            async with pool.acquire() as conn, conn.transaction():
                await save_on_case_snapshots(conn, [snapshot.encode(s, 1) for s in states[i:i + 2_000]])
        return len(states)
    finally:
        await pool.close()


def timed(call: httpx.Client, method: str, path: str, **kw: object) -> float:
    start = time.perf_counter()
    answer = call.request(method, path, **kw)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    if answer.status_code != 200:
        raise SystemExit(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=17_000)
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "whatif_served.json")
    args = ap.parse_args()
    start = datetime.fromtimestamp(month_bounds(MONTH)[0] / 1000, SHANGHAI)
    shape = Shape(cases=args.cases, units=args.units, regions=12, seed=11, start=start)
    units = ROOT / "var" / "bench" / "whatif-units.yaml"
    units.parent.mkdir(parents=True, exist_ok=True)
    units.write_text(units_yaml(shape), "utf-8")
    with local_infra("whatif-bench") as infra:
        stored = asyncio.run(store_month(infra.database_url, shape))
        print(f"stored {stored:,} cases of {MONTH}", flush=True)
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
               "DATABASE_URL": infra.database_url, "CASEFLOW_API_KEYS": f"bench:{KEY}",
               "CASEFLOW_UNITS_FILE": str(units), "CASEFLOW_TOPIC_PREFIX": f"whatif{os.getpid()}"}
        services = Services(env, {"scoring": free_port()}, ROOT / "var" / "bench" / "whatif-logs")
        try:
            url = services.start(("scoring",)).running["scoring"].url
            draft = {"period": MONTH, "schemes": {"standard-department.yaml": DRAFT}}
            whatifs: list[float] = []
            documents: list[float] = []
            with httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=600) as call:
                first_start = time.perf_counter()  # the first after a start counts every case
                answer = call.post("/v1/whatif", json=draft).json()
                first = time.perf_counter() - first_start
                moved = next(s for s in answer["schemes"] if s["id"] == "standard-department")
                scored = sum(u["adopted"]["score"] is not None for u in moved["units"])
                if moved["status"] != "changed" or scored < args.units:
                    raise SystemExit(f"the what-if compared too little: {moved['status']}, {scored} units scored")
                for run in range(args.runs):
                    whatifs.append(timed(call, "POST", "/v1/whatif", json=draft))
                    documents.append(timed(call, "GET", f"/v1/periods/{MONTH}", params={"recompute": "true"}))
                    print(f"  run {run + 1}: what-if {whatifs[-1]:.2f} s, the month's document afresh "
                          f"{documents[-1]:.2f} s", flush=True)
            rss = peak_rss_mib(services.running["scoring"].process.pid)
        finally:
            services.stop_all()
    whatif, document = statistics.median(whatifs), statistics.median(documents)
    print(f"{stored:,} cases, {args.units} units: the first POST /v1/whatif after the start {first:.2f} s; then "
          f"{whatif:.2f} s (median of {args.runs}), the month's "
          f"document afresh {document:.2f} s; what-if / document = {whatif / document:.2f}; scoring peak RSS "
          f"{rss:.0f} MiB")
    report = {"cases": stored, "units": args.units, "runs": args.runs, "first_whatif_seconds": first,
              "whatif_seconds": whatif,
              "whatif_runs": whatifs, "document_seconds": document, "document_runs": documents,
              "whatif_over_document": whatif / document, "scoring_peak_rss_mib": rss}
    write_results(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
