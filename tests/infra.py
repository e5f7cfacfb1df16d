"""Finding Kafka and PostgreSQL for tests: environment first, then testcontainers (when a Docker
engine answers), else the project's own launchers. One broker and one database per test run."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        from caseflow_devstack.kafka_local import pinned_version

        with KafkaContainer(f"apache/kafka:{pinned_version()}").with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    from caseflow_devstack.kafka_local import LocalKafka, free_port

    broker = LocalKafka(free_port(), free_port(), name=f"test-{os.getpid()}").start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
        shutil.rmtree(broker.home, ignore_errors=True)


@contextmanager
def database_url() -> Iterator[str]:
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15") as container:
            yield container.get_connection_url(driver=None)
        return
    from caseflow_devstack.kafka_local import free_port
    from caseflow_devstack.postgres_local import LocalPostgres

    server = LocalPostgres(free_port(), name=f"test-{os.getpid()}").start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)
