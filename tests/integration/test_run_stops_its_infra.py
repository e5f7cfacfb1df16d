"""A test run stopped with SIGTERM (`timeout`, a CI runner, `kill`) stops the database it started for
itself: its fixtures unwind as on Ctrl-C, nothing outlives it (a real run, a real PostgreSQL, killed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOLD = "def test_hold(postgres_url):\n    import time\n    time.sleep(600)\n"


def _running(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return [pid for pid in found if pid != str(os.getpid())]


def test_sigterm_stops_the_runs_own_database(tmp_path: Path) -> None:
    holder = ROOT / "tests" / f"test_zz_hold_{os.getpid()}.py"
    holder.write_text(HOLD, "utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    run: subprocess.Popen[bytes] | None = None
    try:
        run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(holder)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        pattern = f"caseflow-pg-test-{run.pid}-"
        deadline = time.monotonic() + 120
        while not _running(pattern):
            assert run.poll() is None, run.stdout.read() if run.stdout else b""
            assert time.monotonic() < deadline, "the run never started its database"
            time.sleep(0.5)
        time.sleep(2)  # inside the test now
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _running(pattern):
            assert time.monotonic() < deadline, f"left running after SIGTERM: {_running(pattern)}"
            time.sleep(0.5)
    finally:
        holder.unlink(missing_ok=True)
        for pid in _running(f"caseflow-pg-test-{run.pid}-") if run is not None else []:
            os.kill(int(pid), signal.SIGTERM)  # what a failing run left behind
