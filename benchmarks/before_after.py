"""The same benchmarks on two commits, in one run: replay, live, alert latency and robots under a backlog.

    .venv/bin/python benchmarks/before_after.py --before 7b9d42c          # about 40 minutes here
    .venv/bin/python benchmarks/before_after.py --before 7b9d42c --quick  # small sizes, to try it

The "before" commit is checked out into a git worktree; each benchmark runs that commit's own script
against that commit's code (its packages first on PYTHONPATH), then the working tree's, alternating
run by run so that drift of the machine falls on both sides alike. Both sides use the Kafka release
pinned in the working tree and the same jar cache. Prints a table of medians with the ratio
after/before and writes bench-results/before_after.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from results import write_results

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("libs/common", "libs/devstack", "services/intake", "services/dispatch", "services/scoring",
            "services/notify")

# name -> (script, arguments, figures read from its JSON: label -> (reader, higher is better))
Reader = Callable[[dict[str, Any]], float]
FIGURES: dict[str, dict[str, tuple[Reader, bool]]] = {
    "replay_speed": {"replay, events/s": (lambda d: d["results"]["replay"]["events_per_second"], True),
                     "replay / orjson-only time": (lambda d: d["results"]["replay"]["seconds_median"]
                                                   / d["results"]["json_only"]["seconds_median"], False)},
    "live_throughput": {"live, events/s": (lambda d: d["events_per_second"], True),
                        "live, ack -> visible p50 ms": (lambda d: d["latency_p50_ms"], False),
                        "live, ack -> visible p99 ms": (lambda d: d["latency_p99_ms"], False)},
    "alert_latency": {"alert, deadline -> webhook p50 s": (lambda d: d["runs"][0]["p50_s"], False),
                      "alert, deadline -> webhook p99 s": (lambda d: d["runs"][0]["p99_s"], False)},
    "robot_delivery": {"robot, fresh overdue p50 s": (lambda d: d["medians"]["fresh_p50_s"], False),
                       "robot, fresh overdue p99 s": (lambda d: d["medians"]["fresh_p99_s"], False)},
}


def sizes(quick: bool) -> dict[str, list[str]]:
    if quick:
        return {"replay_speed": ["--cases", "3000", "--runs", "1"],
                "live_throughput": ["--cases", "300", "--rate", "1000"],
                "alert_latency": ["--cases", "50", "--windows", "0", "--lead", "25"],
                "robot_delivery": ["--cases", "200", "--fresh", "10", "--lead", "25", "--spread", "20",
                                   "--settle", "20", "--digest-wait", "60", "--runs", "1"]}
    return {"replay_speed": ["--cases", "156000", "--runs", "3"],
            "live_throughput": ["--cases", "3000", "--rate", "2000"],
            "alert_latency": ["--cases", "1000", "--windows", "0"],
            "robot_delivery": ["--runs", "1"]}


def worktree(commit: str, into: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(into), commit], check=True,
                   capture_output=True)
    (into / ".cache").symlink_to(ROOT / ".cache")
    shutil.copy(ROOT / "deploy" / "kafka" / "pom.xml", into / "deploy" / "kafka" / "pom.xml")
    return into


def run_once(checkout: Path, script: str, args: list[str], out: Path) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join(str(checkout / p) for p in PACKAGES),
                        "CASEFLOW_HOME": str(checkout)}
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"):  # each run starts its own, as published
        env.pop(name, None)
    where = subprocess.run([sys.executable, "-c", "import caseflow_notify, caseflow; print(caseflow_notify.__file__, "
                            "caseflow.__path__[0])"], env=env, capture_output=True, text=True, check=True).stdout
    if any(not Path(p).resolve().is_relative_to(checkout.resolve()) for p in where.split()):
        raise SystemExit(f"{checkout.name}: the code imported is not this checkout's: {where}")
    cmd = [sys.executable, str(checkout / "benchmarks" / f"{script}.py"), *args, "--out", str(out)]
    print(f"$ [{checkout.name}]", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, cwd=checkout, env=env)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def table(results: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| figure | before (median) | after (median) | after / before |", "|---|---|---|---|"]
    for label, sides in results.items():
        before, after = statistics.median(sides["before"]), statistics.median(sides["after"])
        lines.append(f"| {label} | {before:,.3g} | {after:,.3g} | {after / before:.2f} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the commit to compare against (a hash or ref)")
    ap.add_argument("--runs", type=int, default=3, help="alternating runs of live and alert latency per side")
    ap.add_argument("--only", default="", help="comma-separated benchmarks to run (default: all four)")
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each: to see it work")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "before_after.json")
    args = ap.parse_args()
    before = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.before], check=True,
                            capture_output=True, text=True).stdout.strip()
    after = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=True,
                           capture_output=True, text=True).stdout.strip()
    plan = sizes(args.quick)
    chosen = [s for s in plan if not args.only or s in args.only.split(",")]
    repeats = {"replay_speed": 1, "robot_delivery": 1}  # replay repeats inside; a robot run takes minutes
    results: dict[str, dict[str, list[float]]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="before-after-"))
    try:
        sides = {"before": worktree(before, scratch / f"before-{before}"), "after": ROOT}
        for script in chosen:
            for n in range(1 if args.quick else repeats.get(script, args.runs)):
                for side, checkout in sides.items():
                    data = run_once(checkout, script, plan[script], scratch / f"{side}-{script}-{n}.json")
                    for label, (read, _) in FIGURES[script].items():
                        results.setdefault(label, {"before": [], "after": []})[side].append(read(data))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                        str(scratch / f"before-{before}")], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
    lines = table(results)
    print(f"before = {before}, after = {after} (working tree)", *lines, sep="\n")
    write_results(args.out, {"before": before, "after": after, "quick": args.quick,
                             "sizes": {s: plan[s] for s in chosen}, "figures": results, "table": lines})
    return 0


if __name__ == "__main__":
    sys.exit(main())
