"""Run the scale-out test (tests/e2e/test_scale_out.py: replicas killed, a broker stopped, a replica
added, while a month streams in) several times at each size and say how many passed, with each run's
figures: time to converge, and the surviving scoring and notify replicas' API latencies during the
failover and catch-up.

    .venv/bin/python benchmarks/scale_out_runs.py --cases 1000 2000 --runs 5

Writes bench-results/scale_out_runs.json (and each run's pytest output to bench-results/scale_out_logs/).
Uses KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set (each run then starts only its 3-node cluster)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
from results import write_results

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-results"


def one_run(cases: int, n: int) -> dict[str, object]:
    figures = OUT / f"scale_out_{cases}.json"
    figures.unlink(missing_ok=True)
    log = OUT / "scale_out_logs" / f"{cases}-{n}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "tests/e2e/test_scale_out.py"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "CASEFLOW_SCALE_OUT_CASES": str(cases)}, check=False)
    run: dict[str, object] = {"cases": cases, "run": n, "passed": done.returncode == 0,
                              "seconds": round(time.monotonic() - began, 1), "log": str(log.relative_to(ROOT))}
    if figures.exists():
        run["figures"] = orjson.loads(figures.read_bytes())
    return run


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, nargs="+", default=[1000, 2000], help="month sizes (cases)")
    p.add_argument("--runs", type=int, default=5, help="runs per size")
    args = p.parse_args()
    OUT.mkdir(exist_ok=True)
    runs = []
    for cases in args.cases:
        for n in range(1, args.runs + 1):
            run = one_run(cases, n)
            runs.append(run)
            api = (run.get("figures") or {}).get("api_during_failover", {})  # type: ignore[union-attr]
            latency = "  ".join(f"{name} p50 {f['p50_s']:.3f} p99 {f['p99_s']:.3f} max {f['max_s']:.3f} s"
                                for name, f in api.items())
            print(f"{cases} cases, run {n}: {'passed' if run['passed'] else 'FAILED'} in {run['seconds']} s  "
                  f"{latency}", flush=True)
    summary = {str(c): f"{sum(1 for r in runs if r['cases'] == c and r['passed'])} of "
                       f"{sum(1 for r in runs if r['cases'] == c)}" for c in args.cases}
    write_results(OUT / "scale_out_runs.json", {"passed": summary, "runs": runs})
    print("passed:", summary)
    return 0 if all(r["passed"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
