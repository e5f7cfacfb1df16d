"""`caseflow infra`: start the project's own Kafka and PostgreSQL, print their addresses, stop on Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack, suppress

from caseflow_devstack.debian import ensure_browser
from caseflow_devstack.kafka_cluster import LocalKafkaCluster, cluster_nodes
from caseflow_devstack.kafka_local import LocalKafka, fetch, free_port
from caseflow_devstack.postgres_local import LocalPostgres, pg_bin
from caseflow_devstack.prometheus_local import prometheus_bin
from caseflow_devstack.stopping import StopSignals

EXAMPLES = """examples:
  caseflow infra                 # Kafka on 19092, PostgreSQL on 15432, until Ctrl-C
  caseflow infra --kafka-nodes 3 # a 3-node KRaft cluster (ports 19092-19094); topics then want
                                 # CASEFLOW_REPLICATION_FACTOR=3 CASEFLOW_MIN_INSYNC_REPLICAS=2 (it prints them)
  caseflow infra --prepare       # only fetch Kafka's jars, install PostgreSQL and Prometheus (CI's first step)"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kafka-port", type=int, default=19092)
    p.add_argument("--kafka-nodes", type=int, choices=(1, 3), default=1,
                   help="1 broker, or a cluster of 3 (each broker and controller) on --kafka-port and the next two")
    p.add_argument("--postgres-port", type=int, default=15432)
    p.add_argument("--prepare", action="store_true", help="fetch and install only; start nothing")
    p.add_argument("--browser", action="store_true", help="with --prepare: also Debian's chromium + chromium-driver "
                                                           "(the live page's browser test)")


def run(args: argparse.Namespace) -> int:
    if args.prepare:
        t = time.monotonic()
        browser = ""
        if args.browser:
            browser = f"  Chromium: {ensure_browser()}"
        print(f"Kafka jars: {fetch()}  PostgreSQL: {pg_bin()}  Prometheus: {prometheus_bin()}{browser}  "
              f"({time.monotonic() - t:.1f}s)")
        return 0
    with StopSignals().installed():
        return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    t = time.monotonic()
    kafka: LocalKafka | LocalKafkaCluster
    with ExitStack() as running:  # a signal during the start still stops what had started
        if args.kafka_nodes == 3:
            nodes = [LocalKafka(args.kafka_port + i, free_port(), name=f"infra-{i + 1}") for i in range(3)]
            kafka = LocalKafkaCluster(name="infra", nodes=cluster_nodes(nodes))
        else:
            kafka = LocalKafka(args.kafka_port, free_port(), name="infra")
        running.callback(kafka.stop)
        kafka.start()
        print(f"Kafka ({args.kafka_nodes} node(s)) up in {time.monotonic() - t:.1f}s", file=sys.stderr)
        postgres = LocalPostgres(args.postgres_port, name="infra")
        running.callback(postgres.stop)
        postgres.start()
        replicated = ("\nexport CASEFLOW_REPLICATION_FACTOR=3\nexport CASEFLOW_MIN_INSYNC_REPLICAS=2"
                      if args.kafka_nodes == 3 else "")
        print(f"export KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap}\nexport DATABASE_URL={postgres.url}{replicated}",
              flush=True)
        with suppress(KeyboardInterrupt):
            StopSignals.wait_forever()  # until SIGTERM or Ctrl-C unwinds it (caseflow_devstack.stopping)
    return 0
