"""Kafka's own MirrorMaker 2 in its dedicated mode (what bin/connect-mirror-maker.sh runs), from the same
release as the broker: cities' province feeds replicated into the province's cluster.

The jars (connect-mirror and what it needs) are pinned in deploy/kafka/mirror-maker/pom.xml at the
broker's version and fetched once into .cache/kafka/<version>/mirror-libs. Topics arrive in the
province named `<city>.<topic>` (DefaultReplicationPolicy); MirrorMaker keeps its offsets, configs and
status in the province's cluster, so a restart (even after kill -9) resumes where it committed; what it
sent after its last commit is sent again, and the province takes each event_id once.
"""

from __future__ import annotations

import logging
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from caseflow_devstack.kafka_local import pinned_version
from caseflow_devstack.paths import cache_dir, repo_root, var_dir

log = logging.getLogger(__name__)
MAIN_CLASS = "org.apache.kafka.connect.mirror.MirrorMaker"
ALIAS = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


def fetch(version: str | None = None) -> Path:
    """connect-mirror and its dependencies at the broker's pinned version (Maven, once)."""
    version = version or pinned_version()
    libs = cache_dir() / "kafka" / version / "mirror-libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise RuntimeError("MirrorMaker 2 needs Java 17+ and Maven (`apt-get install openjdk-17-jre-headless maven`)")
    libs.mkdir(parents=True, exist_ok=True)
    log.info("fetching Kafka %s MirrorMaker 2 jars with Maven into %s (once)", version, libs)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(repo_root() / "deploy" / "kafka" / "mirror-maker" / "pom.xml"),
         "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
         f"-Dkafka.version={version}"],
        check=True,
    )
    marker.write_text(version)
    return libs


def mm2_properties(sources: Mapping[str, str], target: str, target_bootstrap: str, topics: str,
                   replication: int = 1, flush_ms: int = 5000) -> str:
    """MirrorMaker 2's configuration: each source city -> the province, for the topics matching `topics`
    (a Java regex), nothing back. `replication`: of the mirrored and internal topics in the target."""
    for alias in (*sources, target):
        if not ALIAS.match(alias):
            raise ValueError(f"cluster alias {alias!r}: lower-case letters, digits and '-', up to 16")
    lines = [f"clusters = {', '.join([*sources, target])}", f"{target}.bootstrap.servers = {target_bootstrap}"]
    for alias, bootstrap in sources.items():
        lines += [f"{alias}.bootstrap.servers = {bootstrap}", f"{alias}->{target}.enabled = true",
                  f"{alias}->{target}.topics = {topics}", f"{target}->{alias}.enabled = false"]
    lines += [
        f"replication.factor = {replication}",
        *(f"{t}.replication.factor = {replication}" for t in (
            "checkpoints.topic", "heartbeats.topic", "offset-syncs.topic", "offset.storage", "status.storage",
            "config.storage")),
        "tasks.max = 4",
        "refresh.topics.interval.seconds = 5",  # a topic a city creates later is mirrored within seconds
        "sync.topic.acls.enabled = false",
        f"offset.flush.interval.ms = {flush_ms}",
        # the province's topics keep what they mirror, as the cities' do
        "sync.topic.configs.enabled = true",
        "",
    ]
    return "\n".join(lines)


@dataclass
class LocalMirrorMaker:
    """One dedicated MirrorMaker 2 process replicating `sources` (alias -> bootstrap) into `target`."""

    sources: dict[str, str]
    target: str
    target_bootstrap: str
    topics: str = r"caseflow\.(province-feed|closed-months)"
    name: str = "mm2"
    heap: str = "384m"
    process: subprocess.Popen[bytes] | None = None

    @property
    def home(self) -> Path:
        return var_dir() / "mirror-maker" / self.name

    def start(self) -> LocalMirrorMaker:
        libs = fetch()
        self.home.mkdir(parents=True, exist_ok=True)
        props = self.home / "mm2.properties"
        props.write_text(mm2_properties(self.sources, self.target, self.target_bootstrap, self.topics))
        (self.home / "log4j2.properties").write_text(_LOG4J)
        logfile = (self.home / "mirror-maker.log").open("ab")
        self.process = subprocess.Popen(
            ["java", f"-Xmx{self.heap}", "-XX:+UseG1GC",
             f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}", "-cp", f"{libs}/*", MAIN_CLASS,
             str(props), "--clusters", self.target],  # the file first: --clusters takes every word after it
            stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """As a crash: SIGKILL, nothing committed on the way out."""
        if self.running():
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def stop(self, timeout: float = 30.0) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def wait_exited(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.2)
        return None if self.process is None else self.process.poll()


_LOG4J = """status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.mirror.name = org.apache.kafka.connect.mirror.MirrorMaker
logger.mirror.level = info
"""
