"""Topics on a real 3-node KRaft cluster (the project's launcher): created with 3 replicas and
min.insync.replicas 2 from the settings; a topic weaker than configured, or a cluster too small, is a
clear error (a service refuses to start, one line, exit 2); with acks=all and idempotence, every
acknowledged message survives the partition leader being killed and coming back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from caseflow.infra import kafka
from caseflow.infra.settings import TOPICS, Settings
from caseflow.infra.topics import TopicSettingsError, ensure_topics
from caseflow_devstack.kafka_cluster import LocalKafkaCluster
from caseflow_devstack.kafka_local import free_port


@pytest.fixture
def cluster(kafka_cluster: LocalKafkaCluster) -> LocalKafkaCluster:
    return kafka_cluster


def on(cluster: LocalKafkaCluster, settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"kafka_bootstrap_servers": cluster.bootstrap, **changes})


async def describe(servers: str, topics: list[str]) -> dict[str, list[dict[str, object]]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        return {t["topic"]: t["partitions"] for t in await admin.describe_topics(topics)}
    finally:
        await admin.close()


async def test_topics_get_three_replicas_and_a_weaker_topic_is_refused(cluster: LocalKafkaCluster,
                                                                      settings: Settings) -> None:
    strong = on(cluster, settings, replication_factor=3, min_insync_replicas=2)
    await ensure_topics(strong)
    found = await describe(cluster.bootstrap, [strong.topic(t) for t in TOPICS])
    assert all(len(p["replicas"]) == 3 for parts in found.values() for p in parts)  # type: ignore[arg-type]
    await ensure_topics(strong)  # again: nothing to create, everything as configured

    weak = on(cluster, settings, topic_prefix=settings.topic_prefix + "-weak")
    await ensure_topics(weak)  # replication factor 1, min.insync.replicas 1
    with pytest.raises(TopicSettingsError) as refused:
        await ensure_topics(weak.model_copy(update={"replication_factor": 3, "min_insync_replicas": 2}))
    message = str(refused.value)
    assert f"{weak.topic('case-events')} has 1 replica(s) per partition, CASEFLOW_REPLICATION_FACTOR says 3" in message
    assert "min.insync.replicas=1, CASEFLOW_MIN_INSYNC_REPLICAS says 2" in message


async def test_a_cluster_too_small_for_the_replication_factor_is_refused(settings: Settings) -> None:
    with pytest.raises(TopicSettingsError, match=r"CASEFLOW_REPLICATION_FACTOR=3, but the cluster at .* has 1 broker"):
        await ensure_topics(settings.model_copy(update={"replication_factor": 3, "min_insync_replicas": 2}))


def test_a_service_refuses_to_start_on_weaker_topics(settings: Settings) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "DATABASE_URL": settings.database_url, "CASEFLOW_API_KEYS": settings.api_keys,
           "CASEFLOW_TOPIC_PREFIX": settings.topic_prefix, "CASEFLOW_REPLICATION_FACTOR": "3",
           "CASEFLOW_MIN_INSYNC_REPLICAS": "2"}
    out = subprocess.run([sys.executable, "-m", "caseflow.cli", "scoring", "--port", str(free_port())], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("caseflow scoring: CASEFLOW_REPLICATION_FACTOR=3, but")
    env["CASEFLOW_MIN_INSYNC_REPLICAS"], env["CASEFLOW_REPLICATION_FACTOR"] = "3", "2"
    out = subprocess.run([sys.executable, "-m", "caseflow.cli", "scoring", "--port", "9"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "CASEFLOW_MIN_INSYNC_REPLICAS=3 is more than" in out.stderr, out.stderr


async def test_acknowledged_messages_survive_the_leader_being_killed(cluster: LocalKafkaCluster,
                                                                     settings: Settings) -> None:
    config = on(cluster, settings, replication_factor=3, min_insync_replicas=2)
    await ensure_topics(config)
    topic = config.topic("alerts")
    leader = int((await describe(cluster.bootstrap, [topic]))[topic][0]["leader"])  # type: ignore[call-overload]
    producer = kafka.producer(config, request_timeout_ms=15000, retry_backoff_ms=200)
    await producer.start()
    acknowledged = []
    try:
        for i in range(300):
            if i == 100:
                cluster.node(leader).kill()  # mid-stream, no clean shutdown
            await producer.send_and_wait(topic, str(i).encode(), key=b"U1", partition=0)
            acknowledged.append(str(i))
        cluster.restart(leader)
        for i in range(300, 320):
            await producer.send_and_wait(topic, str(i).encode(), key=b"U1", partition=0)
            acknowledged.append(str(i))
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed")
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        got: list[str] = []
        while len(got) < len(acknowledged):
            batch = await consumer.getmany(tp, timeout_ms=5000)
            if not batch:
                break
            got += [r.value.decode() for r in batch.get(tp, []) if r.value is not None]
    finally:
        await consumer.stop()
    assert got == acknowledged  # none lost, none twice (idempotent producer), in order
    now = (await describe(cluster.bootstrap, [topic]))[topic][0]
    assert len(now["isr"]) >= 2  # type: ignore[arg-type]
