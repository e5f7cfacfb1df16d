"""Replay speed: a generated month at a chosen size, timed end to end, beside a parse-only baseline.

    .venv/bin/python benchmarks/replay_speed.py --cases 100000 --runs 3

Prints the figures and writes them to bench-results/replay_speed.json. Each measurement runs in a
fresh process (wall time; peak RSS of the process and its workers, summed); figures are medians of
--runs runs. The baselines (orjson only; parse + validate) run in one process; replay uses --workers.
The target's size, 10 million events, is `--cases 1560000` (a 1.8 GB file, generated once).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import write_results
from tqdm import tqdm

from caseflow.sample.generate import Shape, generate, units_yaml

ROOT = Path(__file__).resolve().parents[1]
# Runs a module or a code string and reports the process's own peak RSS (VmHWM, reset at exec,
# unlike ru_maxrss, which inherits the forking parent's size).
WRAP = """
import atexit, runpy, sys
def _peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            sys.stderr.write('PEAK_RSS_KB=' + line.split()[1] + chr(10))
atexit.register(_peak)
kind, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if kind == 'module':
    runpy.run_module(target, run_name='__main__')
else:
    exec(compile(target, '<bench>', 'exec'), {'__name__': '__main__'})
"""
PARSE_ONLY = """
import sys, orjson
from caseflow.contract.mapping import parse
n = 0
with open(sys.argv[1], 'rb') as f:
    for seq, line in enumerate(f):
        parse(line, seq); n += 1
print(n)
"""
JSON_ONLY = """
import sys, orjson
n = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        orjson.loads(line); n += 1
print(n)
"""


def tree_rss(pid: int) -> int:
    """RSS (bytes) of a process and all its descendants, summed (shared pages count in each: an upper
    bound of the memory the replay's workers use together)."""
    total, pending, seen = 0, [pid], set()
    while pending:
        p = pending.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process and its workers: the larger of the
    process's own VmHWM and the process tree's summed RSS, sampled every 0.2 s."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tree_peak = 0
    while proc.poll() is None:
        tree_peak = max(tree_peak, tree_rss(proc.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {stderr[-800:]}")
    peak = [int(line.split("=")[1]) for line in stderr.splitlines() if line.startswith("PEAK_RSS_KB=")]
    return wall, max(peak[-1] * 1024, tree_peak)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=50_000, help="cases in the month (about 6.4 events each)")
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="replay --workers (default: CPUs)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "replay_speed.json")
    args = ap.parse_args()
    data = ROOT / "var" / "bench"
    data.mkdir(parents=True, exist_ok=True)
    shape = Shape(cases=args.cases, units=args.units, regions=12, seed=42)
    events = data / f"month-{args.cases}.jsonl"
    units = data / f"units-{args.units}.yaml"
    units.write_text(units_yaml(shape), "utf-8")
    if not events.exists():
        tmp = events.with_suffix(".tmp")
        with tmp.open("wb") as f:
            for line in tqdm(generate(shape), desc="generating", unit=" events", file=sys.stderr):
                f.write(line)
        tmp.rename(events)
    count = sum(1 for _ in events.open("rb"))
    py = sys.executable
    commands = {
        "json_only": [py, "-c", WRAP, "code", JSON_ONLY, str(events)],
        "parse_validate": [py, "-c", WRAP, "code", PARSE_ONLY, str(events)],
        "replay": [py, "-c", WRAP, "module", "caseflow.cli", "replay", "--input", str(events), "--units",
                   str(units), "--period", "2026-10", "--no-progress", "--workers", str(args.workers)],
    }
    results: dict[str, dict[str, float]] = {}
    for name, cmd in commands.items():
        runs = [measure(cmd) for _ in range(args.runs)]
        wall = statistics.median(w for w, _ in runs)
        rss = statistics.median(r for _, r in runs)
        results[name] = {"seconds_median": wall, "events_per_second": count / wall, "peak_rss_mib": rss / 2**20,
                         "seconds_each": [w for w, _ in runs], "peak_rss_mib_each": [r / 2**20 for _, r in runs]}
        print(f"{name:15s} {wall:8.2f} s  {count / wall:10,.0f} events/s  peak RSS {rss / 2**20:7.0f} MiB")
    ratio = results["replay"]["seconds_median"] / results["json_only"]["seconds_median"]
    ratio_validate = results["replay"]["seconds_median"] / results["parse_validate"]["seconds_median"]
    print(f"replay / JSON parsing only: {ratio:.2f}x   replay / parse+validate: {ratio_validate:.2f}x")
    report = {"events": count, "cases": args.cases, "runs": args.runs, "workers": args.workers,
              "results": results, "replay_over_json_parse": ratio, "replay_over_parse_validate": ratio_validate}
    write_results(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
