"""The project's own PostgreSQL: Debian's package, a private cluster on 127.0.0.1, used when DATABASE_URL is unset."""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from caseflow_devstack.kafka_local import port_open

log = logging.getLogger(__name__)


def pg_bin() -> Path:
    """The newest installed PostgreSQL bin folder; installs Debian's `postgresql` when there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise RuntimeError("PostgreSQL is not installed: run `sudo apt-get install -y postgresql`, "
                               "or set DATABASE_URL to a server you have")
        log.info("installing Debian's postgresql package (once)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
        return pg_bin()
    return Path(found[-1]).parent


def _as_owner(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class LocalPostgres:
    port: int
    name: str = "default"
    database: str = "caseflow"
    process: subprocess.Popen[bytes] | None = None

    @property
    def home(self) -> Path:
        # Outside the checkout: the `postgres` user must own it, whatever the checkout's permissions.
        return Path("/tmp") / f"caseflow-pg-{self.name}-{self.port}"

    @property
    def url(self) -> str:
        return f"postgresql://caseflow@127.0.0.1:{self.port}/{self.database}"

    def start(self, timeout: float = 60.0) -> LocalPostgres:
        bin_dir = pg_bin()
        data = self.home / "data"
        if not (data / "PG_VERSION").exists():
            if self.home.exists():
                shutil.rmtree(self.home)
            self.home.mkdir(parents=True)
            if os.geteuid() == 0:
                shutil.chown(self.home, "postgres", "postgres")
            subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "caseflow",
                                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                           check=True, capture_output=True)
        self.process = subprocess.Popen(
            _as_owner([str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1",
                       "-k", str(self.home), "-c", "fsync=on", "-c", "max_connections=200",
                       "-c", "shared_buffers=256MB"]),
            stdout=(self.home / "server.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:  # interrupted while it starts (Ctrl-C, SIGTERM), the server must not outlive us
            deadline = time.monotonic() + timeout
            while not self._accepts(bin_dir):
                if self.process.poll() is not None:
                    raise RuntimeError(f"PostgreSQL exited; see {self.home / 'server.log'}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not accept connections in {timeout}s")
                time.sleep(0.2)
            subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "caseflow",
                            self.database], capture_output=True)
        except BaseException:
            self.stop()
            raise
        return self

    def _accepts(self, bin_dir: Path) -> bool:
        if not port_open(self.port):
            return False
        probe = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                               capture_output=True)
        return probe.returncode == 0

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGINT is PostgreSQL's "fast shutdown"; runuser forwards it to the server.
        import signal

        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


async def fresh_database(admin_url: str, name: str) -> str:
    """A new, empty database `name` on the server of `admin_url` (dropped first if it exists); its URL."""
    import asyncpg

    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"database name {name!r}: use lower-case letters, digits and _ (it is spelled into DDL)")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{admin_url.rpartition('/')[0]}/{name}"
