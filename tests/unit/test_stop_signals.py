"""`caseflow up` and `caseflow infra` stop on SIGTERM and Ctrl-C every time (issue #34: `caseflow up` once
hung in a futex wait after a SIGTERM, its handler taking a lock the main thread held). A small program
with the same handler and wait is signalled many times at random moments, while its main thread is busy
taking and releasing locks (threading.Event waits) or sleeping in the wait; sometimes a second signal
follows during the cleanup, which must still finish."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

PROGRAM = """
import sys, threading, time
from caseflow_devstack.stopping import StopSignals

with StopSignals().installed():
    try:
        try:
            busy = threading.Event()
            print("ready", flush=True)
            until = time.monotonic() + float(sys.argv[2])
            while time.monotonic() < until:  # the lock-taking waits a handler must not deadlock with
                busy.wait(0.0002)
            StopSignals.wait_forever()
        finally:
            time.sleep(0.15)  # a cleanup that takes a while: a second signal must not cut it short
            open(sys.argv[1], "w").write("cleaned")
    except KeyboardInterrupt:
        pass
"""


def test_each_signal_at_random_moments_stops_the_program_and_its_cleanup_finishes(tmp_path: Path) -> None:
    rnd = random.Random()
    script = tmp_path / "stack.py"
    script.write_text(PROGRAM)
    for n in range(30):
        sig = (signal.SIGTERM, signal.SIGINT)[n % 2]
        marker = tmp_path / f"cleaned-{n}"
        busy_for = rnd.uniform(0.0, 0.3)
        proc = subprocess.Popen([sys.executable, str(script), str(marker), str(busy_for)], stdout=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(rnd.uniform(0.0, 0.4))  # in the busy loop or in the wait
        proc.send_signal(sig)
        if rnd.random() < 0.5:
            time.sleep(rnd.uniform(0.0, 0.1))
            if proc.poll() is None:
                proc.send_signal(rnd.choice((signal.SIGTERM, signal.SIGINT)))
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"run {n}: still running 10 s after {sig.name} (busy {busy_for:.2f} s)") from None
        assert code == 0, f"run {n}: exit {code} after {sig.name}"
        assert marker.read_text() == "cleaned", f"run {n}: the cleanup did not finish"
