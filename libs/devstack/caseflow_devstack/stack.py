"""Run the four services as real processes against a given Kafka and PostgreSQL (for `up` and e2e tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("intake", "dispatch", "scoring", "notify")


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def command_of(name: str) -> str:
    """The service an instance runs: "dispatch-2" is a second replica of dispatch."""
    base, _, n = name.rpartition("-")
    return base if n.isdigit() and base in SERVICES else name


@dataclass
class Services:
    """Starts services with `python -m caseflow.cli NAME --port P`, waits for /readyz, stops with SIGTERM.
    An instance named `<service>-<n>` is another replica of that service (its own port and log)."""

    env: dict[str, str]
    ports: dict[str, int]
    log_dir: Path
    running: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, names: tuple[str, ...] = SERVICES, timeout: float = 60.0) -> Services:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            self.start_one(name)
        self.wait_ready(names, timeout)
        return self

    def start_one(self, name: str) -> ServiceProcess:
        log_path = self.log_dir / f"{name}.log"
        env = {**os.environ, **self.env, "CASEFLOW_PORT": str(self.ports[name])}
        process = subprocess.Popen(
            [sys.executable, "-m", "caseflow.cli", command_of(name), "--port", str(self.ports[name])],
            env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = ServiceProcess(name, self.ports[name], process, log_path)
        return self.running[name]

    def wait_ready(self, names: tuple[str, ...], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            svc = self.running[name]
            while True:
                if svc.process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {svc.process.returncode}: "
                                       f"{svc.log_path.read_text(errors='replace')[-2000:]}")
                try:
                    if httpx.get(f"{svc.url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready in {timeout}s; see {svc.log_path}")
                time.sleep(0.2)

    def kill(self, name: str) -> None:
        """kill -9: the crash the exactly-once design must survive."""
        svc = self.running.pop(name)
        os.killpg(svc.process.pid, signal.SIGKILL)
        svc.process.wait()

    def stop(self, name: str, timeout: float = 30.0) -> int:
        svc = self.running.pop(name)
        if svc.process.poll() is None:
            os.killpg(svc.process.pid, signal.SIGTERM)
            try:
                svc.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(svc.process.pid, signal.SIGKILL)
                svc.process.wait()
        return svc.process.returncode

    def stop_all(self) -> dict[str, int]:
        return {name: self.stop(name) for name in list(self.running)}
