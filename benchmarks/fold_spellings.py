"""The replay's two per-line steps by JSON spelling, in one process. `parse`: each spelling's file split
into 4 MB buffers as the replay's buckets are, each buffer's plainness decided once (`plain_text`), every
line decoded by the fast path. `partition`: the file placed into bucket files by case (one worker doing
the whole file). Isolates what a spelling costs each step apart from the rest of the replay; the ratio to
compact is the figure. Medians of --runs.

    .venv/bin/python benchmarks/fold_spellings.py --cases 156000      # the 1M files replay_spellings.py wrote
    .venv/bin/python benchmarks/fold_spellings.py --step partition --baseline-commit a49ed15

Writes bench-results/fold_spellings.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from results import write_results

from caseflow.config.rules import load_rules
from caseflow.contract.fast import fast_parse, plain_text
from caseflow.replay import buckets

ROOT = Path(__file__).resolve().parents[1]
BUFFER = 4 << 20
SPELLINGS = ("compact", "python-json", "shuffled-spaced", "escaped-ids")


def buffers(text: bytes) -> list[bytes]:
    out, start = [], 0
    while start < len(text):
        end = text.find(b"\n", start + BUFFER)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return out


def fold_parse(chunks: list[bytes]) -> tuple[float, int, int]:
    started, plain_buffers, refused = time.perf_counter(), 0, 0
    for chunk in chunks:
        plain = plain_text(chunk)
        plain_buffers += plain
        for seq, raw in enumerate(chunk.split(b"\n")[:-1]):
            refused += fast_parse(raw, seq, plain) is None
    return time.perf_counter() - started, plain_buffers, refused


def partition_seconds(path: Path, module: ModuleType = buckets) -> tuple[float, int]:
    """Seconds to place every line of `path` into bucket files, one worker, by `module`'s partition
    (this build's `replay.buckets`, or another commit's); the line count."""
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as work:
        size = path.stat().st_size
        job = module.Job(path, Path(work), 0, 1, module.buckets_for(size), 0, size, (), load_rules(), (), ())
        started = time.perf_counter()
        lines = module.partition(job, SimpleNamespace(value=0))
        seconds = time.perf_counter() - started
    return seconds, lines


def buckets_at(commit: str) -> ModuleType:
    """The partitioner as it was at `commit` (`replay/buckets.py` and, where they exist there, the modules
    it imports its placement from), loaded beside this build's, for a back-to-back baseline."""
    loaded: dict[str, ModuleType] = {}
    saved = {name: sys.modules.get(name) for name in _PARTITIONER}
    try:
        for name in _PARTITIONER:  # dependencies first, each seen by the next under its own name
            path = f"libs/common/caseflow/replay/{name.rsplit('.', 1)[1]}.py"
            shown = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True)
            if shown.returncode != 0:  # not split out yet at that commit
                continue
            module = loaded[name] = ModuleType(name)
            sys.modules[name] = module  # dataclasses look their module up
            exec(compile(shown.stdout, f"{commit}:{path}", "exec"), module.__dict__)  # our own file, at a commit
    finally:
        for name, before in saved.items():
            if before is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = before
    return loaded["caseflow.replay.buckets"]


_PARTITIONER = ("caseflow.replay.line_bucket", "caseflow.replay.placement", "caseflow.replay.buckets")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=156_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--step", choices=("parse", "partition"), default="parse")
    ap.add_argument("--baseline-commit", help="partition step: also time the partitioner of this commit, "
                    "alternating run by run with this build's, and give this build's time / the commit's")
    ap.add_argument("--out", type=Path, help="default: bench-results/fold_spellings.json (parse), "
                    "bench-results/partition_spellings.json (partition)")
    args = ap.parse_args()
    args.out = args.out or ROOT / "bench-results" / f"{'fold' if args.step == 'parse' else 'partition'}_spellings.json"
    results: dict[str, dict[str, Any]] = {}
    baseline = buckets_at(args.baseline_commit) if args.baseline_commit and args.step == "partition" else None
    for spelling in SPELLINGS:
        path = ROOT / "var" / "bench" / f"month-{args.cases}-{spelling}.jsonl"
        if not path.exists():
            print(f"{path} is missing: run benchmarks/replay_spellings.py --cases {args.cases} first", file=sys.stderr)
            return 2
        if args.step == "partition":
            placed: list[tuple[float, int]] = []
            before: list[float] = []
            for _ in range(args.runs):
                placed.append(partition_seconds(path))
                if baseline is not None:
                    before.append(partition_seconds(path, baseline)[0])
            results[spelling] = {"seconds": statistics.median(r[0] for r in placed),
                                 "runs": [r[0] for r in placed], "lines": placed[0][1]}
            if before:
                results[spelling] |= {"baseline_commit": args.baseline_commit, "baseline_runs": before,
                                      "baseline_seconds": statistics.median(before),
                                      "over_baseline": results[spelling]["seconds"] / statistics.median(before)}
            continue
        chunks = buffers(path.read_bytes())
        runs = [fold_parse(chunks) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in runs)
        results[spelling] = {"seconds": seconds, "plain_buffers": runs[0][1], "buffers": len(chunks),
                             "refused_by_fast_path": runs[0][2]}
    base = results["compact"]["seconds"]
    for spelling, r in results.items():
        r["ratio_to_compact"] = r["seconds"] / base
        detail = (f"{r['lines']:,} lines" if args.step == "partition" else f"plain buffers {r['plain_buffers']}/"
                  f"{r['buffers']}  fast path refused {r['refused_by_fast_path']}")
        if "baseline_seconds" in r:
            detail += f"  | {r['baseline_commit']}: {r['baseline_seconds']:.2f} s, this / that {r['over_baseline']:.2f}"
        print(f"{spelling:16} {r['seconds']:6.2f} s  x{r['ratio_to_compact']:.2f}  {detail}")
    write_results(args.out, {"step": args.step, "cases": args.cases, "runs": args.runs, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
