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
            self.nodes = cluster_nodes([LocalKafka(free_port(), free_port(), name=f"{self.name}-{i}", heap=self.heap)
                                        for i in range(1, self.size + 1)])
        self.size = len(self.nodes)

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


def cluster_nodes(nodes: list[LocalKafka]) -> list[LocalKafka]:
    """The nodes made one cluster: ids 1..n, one static quorum of all, one cluster id, replication n."""
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in enumerate(nodes, start=1))
    cluster = new_cluster_id()
    for i, node in enumerate(nodes, start=1):
        node.node_id, node.voters, node.cluster_id, node.replication = i, voters, cluster, len(nodes)
    return nodes
