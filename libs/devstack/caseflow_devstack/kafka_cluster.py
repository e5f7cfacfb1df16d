"""A local KRaft cluster of three Kafka nodes (each broker and controller, a static quorum of three) on
127.0.0.1, for tests of replication: topics with 3 replicas and min.insync.replicas 2, a broker stopped
or killed and brought back. Same pinned jars as the single node (kafka_local)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from caseflow_devstack.kafka_local import LocalKafka, free_port, new_cluster_id


@dataclass
class LocalKafkaCluster:
    size: int = 3
    name: str = "cluster"
    heap: str = "512m"
    nodes: list[LocalKafka] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:
            ports = [(free_port(), free_port()) for _ in range(self.size)]
            voters = ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports, start=1))
            cluster = new_cluster_id()
            self.nodes = [LocalKafka(p, c, name=f"{self.name}-{i}", heap=self.heap, node_id=i, voters=voters,
                                     cluster_id=cluster, replication=self.size)
                          for i, (p, c) in enumerate(ports, start=1)]

    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes)

    def node(self, node_id: int) -> LocalKafka:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 120.0) -> LocalKafkaCluster:
        """All nodes at once: a node waits for its quorum, so one at a time would never finish."""
        try:
            for node in self.nodes:
                node.launch()
            deadline = time.monotonic() + timeout
            for node in self.nodes:
                node.wait_started(max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, node_id: int, timeout: float = 90.0) -> None:
        """Bring a stopped or killed node back on its storage (it catches up as a follower)."""
        node = self.node(node_id)
        node.launch(fresh=False)
        node.wait_started(timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
