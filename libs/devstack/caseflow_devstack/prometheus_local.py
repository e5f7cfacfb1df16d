"""Debian's Prometheus, started by the project to scrape its own services (dashboard checks)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from caseflow_devstack.debian import debian_package_binary


def prometheus_bin() -> str:
    return debian_package_binary("prometheus", "prometheus")


@dataclass
class LocalPrometheus:
    port: int
    targets: list[str]
    scrape_interval: str = "1s"
    process: subprocess.Popen[bytes] | None = None
    home: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LocalPrometheus:
        binary = prometheus_bin()
        self.home = Path(tempfile.mkdtemp(prefix="caseflow-prom-"))
        config = self.home / "prometheus.yml"
        targets = ", ".join(f'"{t}"' for t in self.targets)
        config.write_text(f"global:\n  scrape_interval: {self.scrape_interval}\n  evaluation_interval: 1s\n"
                          f"scrape_configs:\n  - job_name: caseflow\n    static_configs:\n"
                          f"      - targets: [{targets}]\n")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.home / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=(self.home / "prometheus.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Prometheus did not start; see {self.home / 'prometheus.log'}")
            time.sleep(0.2)

    def query(self, expr: str) -> dict:
        return dict(httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
