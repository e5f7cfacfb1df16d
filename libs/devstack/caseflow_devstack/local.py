"""Kafka and PostgreSQL for local runs: the ones the environment names, else the project's own."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from caseflow_devstack.kafka_local import LocalKafka, free_port
from caseflow_devstack.postgres_local import LocalPostgres

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap_servers: str
    database_url: str


@contextmanager
def local_infra(name: str, kafka_port: int | None = None, postgres_port: int | None = None) -> Iterator[Infra]:
    """KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set; otherwise start (and finally stop) our own."""
    with ExitStack() as stack:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            log.info("starting Kafka on 127.0.0.1:%s", kafka_port or "(free port)")
            kafka = LocalKafka(kafka_port or free_port(), free_port(), name=name).start()
            if kafka_port is None:  # a throwaway broker on a free port: its storage goes with it
                stack.callback(shutil.rmtree, kafka.home, True)
            stack.callback(kafka.stop)
            bootstrap = kafka.bootstrap
        database = os.environ.get("DATABASE_URL")
        if not database:
            log.info("starting PostgreSQL on 127.0.0.1:%s", postgres_port or "(free port)")
            postgres = LocalPostgres(postgres_port or free_port(), name=name).start()
            if postgres_port is None:
                stack.callback(shutil.rmtree, postgres.home, True)
            stack.callback(postgres.stop)
            database = postgres.url
        yield Infra(bootstrap, database)
