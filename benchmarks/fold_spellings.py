"""The fold's parse step by JSON spelling, in one process: each spelling's file split into 4 MB
buffers as the replay's buckets are, each buffer's plainness decided once (`plain_text`), every line
decoded by the fast path. Isolates what a spelling costs the fold apart from partitioning and I/O;
the ratio to compact is the figure. Medians of --runs.

    .venv/bin/python benchmarks/fold_spellings.py --cases 156000      # the 1M files replay_spellings.py wrote

Writes bench-results/fold_spellings.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from caseflow.contract.fast import fast_parse, plain_text

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=156_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "fold_spellings.json")
    args = ap.parse_args()
    results = {}
    for spelling in SPELLINGS:
        path = ROOT / "var" / "bench" / f"month-{args.cases}-{spelling}.jsonl"
        if not path.exists():
            print(f"{path} is missing: run benchmarks/replay_spellings.py --cases {args.cases} first", file=sys.stderr)
            return 2
        chunks = buffers(path.read_bytes())
        runs = [fold_parse(chunks) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in runs)
        results[spelling] = {"seconds": seconds, "plain_buffers": runs[0][1], "buffers": len(chunks),
                             "refused_by_fast_path": runs[0][2]}
    base = results["compact"]["seconds"]
    for spelling, r in results.items():
        r["ratio_to_compact"] = r["seconds"] / base
        print(f"{spelling:16} {r['seconds']:6.2f} s  x{r['ratio_to_compact']:.2f}  plain buffers "
              f"{r['plain_buffers']}/{r['buffers']}  fast path refused {r['refused_by_fast_path']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cases": args.cases, "runs": args.runs, "results": results}, indent=2))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
