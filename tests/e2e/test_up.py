"""`caseflow up` as a newcomer runs it: its own Kafka and PostgreSQL, the services, a sample feed,
URLs that answer, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from caseflow_devstack.kafka_local import LocalKafka, free_port
from caseflow_devstack.postgres_local import LocalPostgres

pytestmark = pytest.mark.e2e


def _free_run(count: int) -> int:
    """A port p with p .. p+count-1 all free (the services take --base-port and the next three)."""
    while True:
        base = free_port()
        if base + count < 65536 and all(_free(base + i) for i in range(count)):
            return base


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_up_then_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    base = _free_run(4)
    others = [p for p in (free_port() for _ in range(8)) if not base <= p < base + 4][:2]
    cmd = [sys.executable, "-m", "caseflow.cli", "up", "--cases", "40", "--base-port", str(base),
           "--kafka-port", str(others[0]), "--postgres-port", str(others[1])]
    errors = (tmp_path / "up.stderr").open("w")
    up = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
                          start_new_session=True)
    children: list[psutil.Process] = []
    try:
        lines = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = up.stdout.readline() if up.stdout else ""
            lines.append(line)
            if "Ctrl-C stops everything" in line or up.poll() is not None:
                break
        text = "".join(lines)
        assert "caseflow is up" in text, text + (tmp_path / "up.stderr").read_text()[-3000:]
        key = re.search(r"API key for every call: (\S+)", text).group(1)  # type: ignore[union-attr]
        scoreboard = re.search(r"curl -H '[^']+' '([^']+)'", text).group(1)  # type: ignore[union-attr]
        r = httpx.get(scoreboard, headers={"X-API-Key": key}, timeout=30)
        assert r.status_code == 200 and r.json()["rows"], r.text
        assert httpx.get(f"http://127.0.0.1:{base}/docs").status_code == 200
        board = re.search(r"board \(open on a phone or here\): (\S+)/units/(\S+)#token=(\S+)", text)
        assert board, text  # a working link to one unit's board, with its token
        notify, unit, token = board.groups()
        assert httpx.get(f"{notify}/units/{unit}").status_code == 200
        mine = httpx.get(f"{notify}/v1/units/{unit}/board", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert mine.status_code == 200 and mine.json()["unit"] == unit, mine.text
        operator = re.search(r"operator key \(close a month, silences\): (\S+)", text).group(1)  # type: ignore[union-attr]
        assert httpx.get(f"{notify}/v1/board", headers={"X-API-Key": operator}, timeout=30).status_code == 200
        assert "HTTP Request" not in text
        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 6  # java, postgres (+ runuser), four services
        os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground group
        assert up.wait(60) == 0
        _gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"left behind: {[p.info for p in alive]}"
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
        for p in children:
            if p.is_running():
                p.kill()
        errors.close()
        # `up` keeps the storage of ports it is given (a developer's stack survives a restart); the
        # test's are throwaway
        shutil.rmtree(LocalKafka(others[0], 0, name="up").home, ignore_errors=True)
        shutil.rmtree(LocalPostgres(others[1], name="up").home, ignore_errors=True)
