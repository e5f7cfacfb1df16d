"""Shared fixtures. Real infrastructure (one Kafka broker, one PostgreSQL per run) starts lazily,
only when a test asks for it; each such test gets its own topic prefix and database."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings

from caseflow.config.rules import load_rules
from caseflow.domain.rules import Rules
from caseflow.infra.settings import Settings
from caseflow_devstack.postgres_local import fresh_database
from tests.infra import database_url, kafka_bootstrap

if TYPE_CHECKING:
    from caseflow_devstack.kafka_cluster import LocalKafkaCluster

CONTRACT = Path(__file__).parent / "fixtures" / "contract"

# CI explores the same examples every run (a red build is then reproducible); locally, new ones each run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
_counter = itertools.count(1)

# `timeout`, CI runners and `kill` stop a run with SIGTERM: taken as Ctrl-C, pytest unwinds its fixtures, so
# the run's own broker and database stop with it instead of outliving it.
signal.signal(signal.SIGTERM, signal.default_int_handler)


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules()


@pytest.fixture(scope="session")
def kafka_servers() -> Iterator[str]:
    with kafka_bootstrap() as servers:
        yield servers


@pytest.fixture(scope="session")
def kafka_cluster() -> Iterator[LocalKafkaCluster]:
    """A 3-node KRaft cluster for the tests that stop or kill brokers (started once, on first use; a test
    that stops a node brings it back)."""
    from caseflow_devstack.kafka_cluster import LocalKafkaCluster

    started = LocalKafkaCluster(name=f"test-{os.getpid()}").start()
    try:
        yield started
    finally:
        started.stop()
        for node in started.nodes:
            shutil.rmtree(node.home, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with database_url() as url:
        yield url


@pytest.fixture
async def settings(kafka_servers: str, postgres_url: str) -> AsyncIterator[Settings]:
    n = next(_counter)
    url = await fresh_database(postgres_url, f"cf_t{os.getpid()}_{n}")
    yield Settings(kafka_bootstrap_servers=kafka_servers, database_url=url, topic_prefix=f"t{os.getpid()}-{n}",
                   api_keys="platform:test-platform-key,operator:test-operator-key")
