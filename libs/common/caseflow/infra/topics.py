"""The topics every service needs, created with the configured partitions, replication factor and
`min.insync.replicas`, and checked at start: a topic with fewer replicas or a weaker `min.insync.replicas`
than configured stops the service with what to do, never a silent downgrade."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from caseflow.config.schemes import ConfigError
from caseflow.infra.settings import TOPICS, Settings

log = logging.getLogger(__name__)
TOPIC_ALREADY_EXISTS = 36
MIN_ISR = "min.insync.replicas"


class TopicSettingsError(ConfigError):
    """The cluster or an existing topic cannot give what the settings ask; the message says the fix."""


async def ensure_topics(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        names = [settings.topic(t) for t in TOPICS]
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            await _create(admin, settings, missing)
        await check_topics(admin, settings, names)
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, settings: Settings, names: list[str]) -> None:
    brokers = len((await admin.describe_cluster())["brokers"])
    if brokers < settings.replication_factor:
        raise TopicSettingsError(
            f"CASEFLOW_REPLICATION_FACTOR={settings.replication_factor}, but the cluster at "
            f"{settings.kafka_bootstrap_servers} has {brokers} broker(s): start more brokers or lower the setting")
    configs = {MIN_ISR: str(settings.min_insync_replicas)}
    response = await admin.create_topics(
        [NewTopic(n, settings.partitions, settings.replication_factor, topic_configs=configs) for n in names])
    for error in response.to_object()["topic_errors"]:
        if error["error_code"] not in (0, TOPIC_ALREADY_EXISTS):
            raise TopicSettingsError(f"creating topic {error['topic']} failed: {error['error_message']} "
                                     f"(error {error['error_code']})")
    log.info("created topics %s: %d partitions, replication factor %d, %s=%d", ", ".join(names),
             settings.partitions, settings.replication_factor, MIN_ISR, settings.min_insync_replicas)


async def _described(admin: AIOKafkaAdminClient, names: list[str], wait: float = 30.0) -> dict[str, Any]:
    """The topics' metadata once every partition has a leader (a new topic's metadata reaches the
    other brokers a moment after it is created)."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        if all(described.get(n, {}).get("error_code", 1) == 0 and described[n]["partitions"]
               and all(p["leader"] >= 0 for p in described[n]["partitions"]) for n in names):
            return described
        if asyncio.get_running_loop().time() > deadline:
            unready = sorted(n for n in names if not described.get(n, {}).get("partitions"))
            raise TopicSettingsError(f"topics {', '.join(unready)} have no partition leaders after {wait:g} s: "
                                     "is every broker up?")
        await asyncio.sleep(0.3)


async def check_topics(admin: AIOKafkaAdminClient, settings: Settings, names: list[str]) -> None:
    described = await _described(admin, names)
    min_isr = await _min_isr(admin, names)
    problems = []
    for name in names:
        partitions = described[name]["partitions"]
        replicas = min((len(p["replicas"]) for p in partitions), default=0)
        if replicas < settings.replication_factor:
            problems.append(f"{name} has {replicas} replica(s) per partition, CASEFLOW_REPLICATION_FACTOR says "
                            f"{settings.replication_factor} (reassign its partitions, runbook 'Kafka cluster')")
        found = min_isr.get(name)
        if found is None or int(found) < settings.min_insync_replicas:
            problems.append(f"{name} has {MIN_ISR}={found}, CASEFLOW_MIN_INSYNC_REPLICAS says "
                            f"{settings.min_insync_replicas} (kafka-configs --alter --entity-type topics "
                            f"--entity-name {name} --add-config {MIN_ISR}={settings.min_insync_replicas})")
        if len(partitions) < settings.partitions:
            log.warning("topic %s has %d partitions, CASEFLOW_PARTITIONS says %d: replicas beyond %d stay idle",
                        name, len(partitions), settings.partitions, len(partitions))
    if problems:
        raise TopicSettingsError("Kafka topics weaker than configured: " + "; ".join(problems))


async def _min_isr(admin: AIOKafkaAdminClient, names: list[str], wait: float = 30.0) -> dict[str, str | None]:
    """Each topic's min.insync.replicas (asked again while a broker does not know a new topic yet)."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        answers = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n, {MIN_ISR: None})
                                                for n in names])
        resources = [r for answer in answers for r in answer.to_object()["resources"]]
        if all(r["error_code"] == 0 for r in resources) or asyncio.get_running_loop().time() > deadline:
            return {r["resource_name"]: _entry(r, MIN_ISR) for r in resources}
        await asyncio.sleep(0.3)


def _entry(resource: dict[str, Any], name: str) -> str | None:
    return next((e["config_value"] for e in resource["config_entries"] if e["config_names"] == name), None)
