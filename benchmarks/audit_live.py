"""The monthly audit against live scoring: a generated month goes through the live pipeline (intake ->
dispatch -> scoring, as fast as they take it), then `caseflow audit --from-archive` replays it from the
archive and compares it with scoring's live numbers. Beside it, in the same run, the baseline: `caseflow
replay --from-archive` alone (the audit's own replay), so the audit's extra cost (scoring computing the
month from its snapshots, the comparison) shows as a ratio. Medians of --runs; peak RSS of the audit
process and of scoring.

    .venv/bin/python benchmarks/audit_live.py --cases 156000 --runs 3     # ~1M events (~10 min here)
    .venv/bin/python benchmarks/audit_live.py --cases 1560000 --runs 3    # ~10M events (ingest ~1 h here)

Writes bench-results/audit_live.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncpg
import orjson
from capacity import peak_rss_mib
from live_throughput import KEY, caught_up, post_bulk
from results import write_results

from caseflow.sample.generate import Shape, generate, units_yaml
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.local import local_infra
from caseflow_devstack.stack import Services

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Seconds and peak RSS (MiB, GNU time's %M) of one command run as a child process."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "peak-kb %M", *cmd], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = next((int(x.split()[1]) for x in reversed(done.stderr.splitlines()) if x.startswith("peak-kb ")), 0)
    return seconds, peak / 1024, done


async def scored_cases(db: str) -> int:
    conn = await asyncpg.connect(db)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM scoring_cases"))
    finally:
        await conn.close()


def audit_runs(source: list[str], scoring_url: str, env: dict[str, str], runs: int,
               ) -> tuple[list[float], list[float], list[float], list[float]]:
    """`runs` times: the archive replayed alone, then audited against live scoring (must MATCH); seconds and
    peak RSS of each."""
    cli = [sys.executable, "-m", "caseflow.cli"]
    audits, replays, audit_rss, replay_rss = [], [], [], []
    for run in range(runs):
        seconds, rss, done = timed([*cli, "replay", *source], env)
        assert done.returncode == 0, done.stderr
        replays.append(seconds)
        replay_rss.append(rss)
        seconds, rss, done = timed([*cli, "audit", *source, "--scoring-url", scoring_url, "--api-key", KEY], env)
        assert done.returncode == 0 and "VERDICT: MATCH" in done.stdout, done.stdout[-2000:] + done.stderr
        audits.append(seconds)
        audit_rss.append(rss)
        print(f"  run {run + 1}: replay {replays[-1]:.1f} s, audit {audits[-1]:.1f} s (MATCH)", flush=True)
    return audits, replays, audit_rss, replay_rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=156_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "audit_live.json")
    args = ap.parse_args()
    shape = Shape(cases=args.cases, units=60, regions=12, seed=11)
    lines = list(generate(shape))
    cases = len({orjson.loads(line)["case_id"] for line in lines if b'"reported"' in line})
    units = ROOT / "var" / "bench" / "audit-units.yaml"
    units.parent.mkdir(parents=True, exist_ok=True)
    units.write_text(units_yaml(shape), "utf-8")
    prefix = f"audit{os.getpid()}"
    with local_infra("audit-bench") as infra:
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
               "DATABASE_URL": infra.database_url, "CASEFLOW_API_KEYS": f"bench:{KEY}",
               "CASEFLOW_UNITS_FILE": str(units), "CASEFLOW_TOPIC_PREFIX": prefix}
        services = Services(env, {n: free_port() for n in ("intake", "dispatch", "scoring")},
                            ROOT / "var" / "bench" / "audit-logs")
        try:
            services.start(("intake", "dispatch", "scoring"))
            start = time.perf_counter()
            posted = threading.Event()
            poster = threading.Thread(target=post_bulk, args=(services.running["intake"].url, lines, 500, 0, posted),
                                      daemon=True)
            poster.start()
            shown = start
            while not (posted.is_set() and asyncio.run(caught_up(infra.database_url, cases, alerts_too=False))):
                if not poster.is_alive() and not posted.is_set():
                    raise SystemExit("posting to intake failed (see above)")
                time.sleep(2 if len(lines) < 2_000_000 else 10)
                if time.perf_counter() - shown >= 60:
                    shown = time.perf_counter()
                    scored = asyncio.run(scored_cases(infra.database_url))
                    print(f"  {shown - start:5.0f} s: {scored:,} of {cases:,} cases scored"
                          f"{', all posted' if posted.is_set() else ''}", flush=True)
            ingest = time.perf_counter() - start
            print(f"ingested {len(lines):,} events ({cases:,} cases) live in {ingest:.0f} s", flush=True)
            source = ["--from-archive", "--database-url", infra.database_url, "--topic", f"{prefix}.case-events",
                      "--units", str(units), "--period", "2026-10", "--no-progress"]
            audits, replays, audit_rss, replay_rss = audit_runs(source, services.running["scoring"].url, env, args.runs)
            scoring_rss = peak_rss_mib(services.running["scoring"].process.pid)
        finally:
            services.stop_all()
    audit, replay = statistics.median(audits), statistics.median(replays)
    print(f"{len(lines):,} events: audit from the archive vs live scoring {audit:.1f} s (MATCH), "
          f"its replay alone {replay:.1f} s; audit / replay = {audit / replay:.2f}; "
          f"peak RSS: audit {statistics.median(audit_rss):.0f} MiB, replay {statistics.median(replay_rss):.0f} MiB, "
          f"scoring {scoring_rss:.0f} MiB")
    report = {"events": len(lines), "cases": cases, "runs": args.runs, "ingest_seconds": ingest,
              "audit_seconds": audit, "audit_runs": audits, "replay_seconds": replay, "replay_runs": replays,
              "audit_over_replay": audit / replay, "scoring_peak_rss_mib": scoring_rss,
              "audit_peak_rss_mib": statistics.median(audit_rss), "replay_peak_rss_mib": statistics.median(replay_rss)}
    write_results(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
