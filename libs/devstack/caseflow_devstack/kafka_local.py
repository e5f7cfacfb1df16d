"""The project's own Kafka: Apache Kafka 4.x (KRaft, single node) from Maven Central, on 127.0.0.1.

The version is pinned in deploy/kafka/pom.xml; jars are fetched once into .cache/kafka/<version>/.
"""

from __future__ import annotations

import logging
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from caseflow_devstack.paths import cache_dir, repo_root, var_dir

log = logging.getLogger(__name__)


def pinned_version() -> str:
    pom = (repo_root() / "deploy" / "kafka" / "pom.xml").read_text("utf-8")
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    if not match:
        raise RuntimeError("deploy/kafka/pom.xml has no <kafka.version>")
    return match.group(1)


def fetch(version: str | None = None) -> Path:
    """Jars for the pinned version (Maven, once); returns the libs folder."""
    version = version or pinned_version()
    libs = cache_dir() / "kafka" / version / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise RuntimeError("Kafka needs Java 17+ and Maven (`apt-get install openjdk-17-jre-headless maven`)")
    libs.mkdir(parents=True, exist_ok=True)
    log.info("fetching Apache Kafka %s jars with Maven into %s (once)", version, libs)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(repo_root() / "deploy" / "kafka" / "pom.xml"),
         "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
         f"-Dkafka.version={version}"],
        check=True,
    )
    marker.write_text(version)
    return libs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@dataclass
class LocalKafka:
    """One broker+controller process; `start()` formats fresh storage under var/kafka/<name>-<port>.
    Alone (the default) it is its own quorum; as a node of a cluster (kafka_cluster.py) it has its
    node id, the static quorum of `voters` ("1@127.0.0.1:port,...") and the cluster's replication."""

    port: int
    controller_port: int
    name: str = "default"
    heap: str = "768m"
    node_id: int = 1
    voters: str = ""
    cluster_id: str = ""
    replication: int = 1
    process: subprocess.Popen[bytes] | None = None
    _log_from: int = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        return var_dir() / "kafka" / f"{self.name}-{self.port}"  # two brokers of one name never share storage

    def _properties(self) -> str:
        quorum = (f"controller.quorum.voters={self.voters}" if self.voters else
                  f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}")
        rf, isr = self.replication, min(2, self.replication)
        return "\n".join([
            "process.roles=broker,controller", f"node.id={self.node_id}", quorum,
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={self.home / 'data'}", "num.partitions=4", "auto.create.topics.enable=false",
            f"offsets.topic.replication.factor={rf}", "offsets.topic.num.partitions=4",
            f"transaction.state.log.replication.factor={rf}", f"transaction.state.log.min.isr={isr}",
            f"default.replication.factor={rf}", f"min.insync.replicas={isr}",
            "group.initial.rebalance.delay.ms=0", f"share.coordinator.state.topic.replication.factor={rf}",
            f"share.coordinator.state.topic.min.isr={isr}", "log.retention.hours=-1", "",
        ])

    def start(self, timeout: float = 90.0, fresh: bool = True) -> LocalKafka:
        self.launch(fresh)
        try:
            return self.wait_started(timeout)
        except BaseException:  # interrupted while it starts (Ctrl-C, SIGTERM): the broker must not outlive us
            self.stop()
            raise

    def launch(self, fresh: bool = True) -> None:
        """Format (when new) and start the process; `wait_started` waits for it to serve."""
        libs = fetch()
        if fresh and self.home.exists():
            shutil.rmtree(self.home)
        self.home.mkdir(parents=True, exist_ok=True)
        props = self.home / "server.properties"
        props.write_text(self._properties())
        (self.home / "log4j2.properties").write_text(_LOG4J)
        classpath = f"{libs}/*"
        java = ["java", f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                f"-Dkafka.logs.dir={self.home / 'logs'}"]
        if not (self.home / "data" / "meta.properties").exists():
            cluster = self.cluster_id or new_cluster_id()
            quorum = [] if self.voters else ["--standalone"]  # a static quorum is in the properties
            formatted = subprocess.run([*java, "-cp", classpath, "kafka.tools.StorageTool", "format",
                                        f"--cluster-id={cluster}", "-c", str(props), *quorum],
                                       capture_output=True, text=True)
            if formatted.returncode != 0:
                raise RuntimeError(f"formatting Kafka storage failed: {formatted.stdout}{formatted.stderr}")
        log_path = self.home / "broker.log"
        self._log_from = log_path.stat().st_size if log_path.exists() else 0  # a restart appends to the log
        logfile = log_path.open("ab")
        self.process = subprocess.Popen(
            [*java, f"-Xmx{self.heap}", "-Xms256m", "-XX:+UseG1GC", "-cp", classpath, "kafka.Kafka", str(props)],
            stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_started(self, timeout: float = 90.0) -> LocalKafka:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while not (port_open(self.port) and self._started()):
            if self.process.poll() is not None:
                raise RuntimeError(f"Kafka exited with {self.process.returncode}; see {self.home / 'broker.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Kafka did not open port {self.port} in {timeout}s")
            time.sleep(0.2)
        return self

    def _started(self) -> bool:
        with (self.home / "broker.log").open("rb") as log:
            log.seek(self._log_from)
            return b"Kafka Server started" in log.read()

    def kill(self) -> None:
        """As a crash: SIGKILL, no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def new_cluster_id() -> str:
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


_LOG4J = """status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""
