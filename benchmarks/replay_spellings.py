"""Replay speed by JSON spelling: the same month written compact, as Python's json.dumps writes it,
with keys shuffled and odd spacing, with escaped case ids, and with CRLF + BOM + blank lines.

    .venv/bin/python benchmarks/replay_spellings.py --cases 156000 --runs 3     # ~1M events
    .venv/bin/python benchmarks/replay_spellings.py --cases 1560000 --spellings compact,shuffled-spaced

Each spelling is replayed (--workers, a fresh process per run) beside its baseline, orjson parsing the
same lines in one process; figures are medians of --runs, run in rounds (each spelling once a
round, so a machine whose speed drifts during the run moves them alike). The ratio that matters: the
slowest spelling's median replay time over the compact one's (target <= 1.15); each round's ratio is
shown too. Every spelling's result is checked to equal the compact one's. Writes
bench-results/replay_spellings.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_speed import WRAP, measure
from results import write_results

from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow.sample.spellings import respelled

ROOT = Path(__file__).resolve().parents[1]
JSON_ONLY = """
import sys, orjson
n = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        if line.strip():
            orjson.loads(line.removeprefix(b'\\xef\\xbb\\xbf')); n += 1
print(n)
"""
VARIANTS = {  # name -> (spelling, crlf, bom, blank lines)
    "compact": ("compact", False, False, False),
    "python-json": ("python-json", False, False, False),
    "shuffled-spaced": ("shuffled-spaced", False, False, False),
    "escaped-ids": ("escaped-ids", False, False, False),
    "crlf-bom-blanks": ("compact", True, True, True),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=50_000, help="cases in the month (about 6.4 events each)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--spellings", default=",".join(VARIANTS),
                    help=f"which, comma-separated (compact is always run: the ratios are to it); default: all of "
                    f"{', '.join(VARIANTS)}")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "replay_spellings.json")
    args = ap.parse_args()
    chosen = {"compact", *args.spellings.split(",")}
    if chosen - set(VARIANTS):
        ap.error(f"--spellings: unknown {', '.join(sorted(chosen - set(VARIANTS)))}; choose from {', '.join(VARIANTS)}")
    data = ROOT / "var" / "bench"
    data.mkdir(parents=True, exist_ok=True)
    shape = Shape(cases=args.cases, units=60, regions=12, seed=42)
    units = data / "units-60.yaml"
    units.write_text(units_yaml(shape), "utf-8")
    compact = data / f"month-{args.cases}.jsonl"
    if not compact.exists():
        compact.write_bytes(b"".join(generate(shape)))
    lines = compact.read_bytes().splitlines(keepends=True)
    py, paths = sys.executable, {}
    for name, (spelling, crlf, bom, blanks) in VARIANTS.items():
        if name in chosen:
            paths[name] = data / f"month-{args.cases}-{name}.jsonl"
            if not paths[name].exists():
                paths[name].write_bytes(b"".join(respelled(lines, spelling, crlf, bom, blanks)))

    def replay(path: Path) -> list[str]:
        return [py, "-c", WRAP, "module", "caseflow.cli", "replay", "--input", str(path), "--units", str(units),
                "--period", "2026-10", "--no-progress", "--workers", str(args.workers)]

    # Rounds, each spelling once per round: a machine that speeds up or slows down during the run moves
    # every spelling alike, and each round's ratio to compact compares runs minutes apart, not many.
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in paths}
    base: dict[str, list[tuple[float, int]]] = {name: [] for name in paths}
    for round_ in range(1, args.runs + 1):
        for name, path in paths.items():
            base[name].append(measure([py, "-c", WRAP, "code", JSON_ONLY, str(path)]))
            runs[name].append(measure(replay(path)))
            print(f"  round {round_}/{args.runs} {name:16s} replay {runs[name][-1][0]:7.2f} s"
                  f"  orjson {base[name][-1][0]:6.2f} s", flush=True)
    results, documents = {}, {}
    for name, path in paths.items():
        out = subprocess.run([py, "-m", "caseflow.cli", *replay(path)[5:]], capture_output=True, check=True)
        doc = json.loads(out.stdout)
        documents[name] = {k: doc[k] for k in ("units", "regions", "listings")}
        wall, base_wall = statistics.median(w for w, _ in runs[name]), statistics.median(w for w, _ in base[name])
        per_round = [w / c for (w, _), (c, _) in zip(runs[name], runs["compact"], strict=True)]
        results[name] = {"bytes": path.stat().st_size, "replay_seconds_median": wall,
                         "replay_runs": [w for w, _ in runs[name]], "orjson_runs": [w for w, _ in base[name]],
                         "events_per_second": len(lines) / wall,
                         "peak_rss_mib": statistics.median(r for _, r in runs[name]) / 2**20,
                         "orjson_seconds_median": base_wall, "replay_over_orjson": wall / base_wall,
                         "ratio_to_compact_per_round": per_round,
                         "ratio_to_compact_median_of_rounds": statistics.median(per_round),
                         "fell_back": b"folding in one process" in out.stderr}
        peak = results[name]["peak_rss_mib"]
        print(f"{name:16s} replay {wall:7.2f} s {len(lines) / wall:10,.0f} ev/s  peak {peak:6.0f} MiB"
              f" | orjson {base_wall:6.2f} s | x{wall / base_wall:.2f}"
              f" | / compact {wall / results['compact']['replay_seconds_median']:.2f}"
              f" (rounds: {', '.join(f'{r:.2f}' for r in per_round)}) | fell back: {results[name]['fell_back']}")
    same = all(d == documents["compact"] for d in documents.values())
    slowest = max(r["replay_seconds_median"] for r in results.values()) / results["compact"]["replay_seconds_median"]
    print(f"slowest spelling / compact: {slowest:.2f}   every spelling gives the compact numbers: {same}")
    report = {"events": len(lines), "cases": args.cases, "runs": args.runs, "workers": args.workers,
              "results": results, "slowest_over_compact": slowest, "all_equal": same}
    write_results(args.out, report)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
