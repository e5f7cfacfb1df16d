"""deploy/k8s: valid against the Kubernetes schema, and consistent with the code it runs."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml

from caseflow.cli import COMMANDS
from caseflow.infra.metrics import CONSUMER_LAG
from caseflow.infra.settings import Settings
from caseflow_dispatch.store import OUTBOX_SOURCE as DISPATCH_GROUP
from caseflow_scoring.store.alerts import OUTBOX_SOURCE as SCORING_GROUP
from tests.unit.test_compose import _env_names

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
DOCS = [d for f in KUSTOMIZATION["resources"] for d in yaml.safe_load_all((K8S / f).read_text()) if d]
DEPLOYMENTS = {d["metadata"]["name"].removeprefix("caseflow-"): d for d in DOCS
               if d["kind"] == "Deployment" and d["metadata"]["name"].startswith("caseflow-")}
SECRET_NAMES = {"DATABASE_URL", "CASEFLOW_API_KEYS"}
NOTIFY_GROUP = "caseflow-notify"  # notify/main.py


@pytest.mark.parametrize("doc", DOCS, ids=[f"{d['kind']}/{d['metadata']['name']}" for d in DOCS])
def test_valid_against_the_schema(doc: dict) -> None:  # type: ignore[type-arg]
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_every_service_is_deployed_with_probes_and_a_budget() -> None:
    assert set(DEPLOYMENTS) == {"intake", "dispatch", "scoring", "notify"}
    budgets = {d["metadata"]["name"] for d in DOCS if d["kind"] == "PodDisruptionBudget"}
    for name, dep in DEPLOYMENTS.items():
        c = dep["spec"]["template"]["spec"]["containers"][0]
        assert c["args"] == [name] and name in COMMANDS
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["resources"]["requests"] and c["resources"]["limits"]
        assert dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 20  # > uvicorn's graceful stop
        assert f"caseflow-{name}" in budgets


def test_ports_env_and_secrets_match_the_code() -> None:
    config = next(d for d in DOCS if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "caseflow-config")
    known = _env_names()
    assert set(config["data"]) <= known and not set(config["data"]) & SECRET_NAMES
    port = int(config["data"]["CASEFLOW_PORT"])
    for dep in DEPLOYMENTS.values():
        c = dep["spec"]["template"]["spec"]["containers"][0]
        assert c["ports"][0]["containerPort"] == port
        secrets = {e["name"] for e in c["env"]}
        assert secrets == SECRET_NAMES and all("valueFrom" in e and "value" not in e for e in c["env"])
        assert secrets <= known


def test_consumers_autoscale_on_their_lag_up_to_the_partition_count() -> None:
    config = next(d for d in DOCS if d["metadata"]["name"] == "caseflow-config")
    partitions = int(config["data"]["CASEFLOW_PARTITIONS"])
    assert partitions == Settings().partitions
    hpas = {d["spec"]["scaleTargetRef"]["name"].removeprefix("caseflow-"): d for d in DOCS
            if d["kind"] == "HorizontalPodAutoscaler"}
    assert set(hpas) == set(DEPLOYMENTS)
    rules = yaml.safe_load(next(d for d in DOCS if d["metadata"]["name"] == "caseflow-prometheus-adapter-rules")
                           ["data"]["rules.yaml"])["externalRules"]
    served = {r["name"]["as"] for r in rules}
    groups = {"dispatch": DISPATCH_GROUP, "scoring": SCORING_GROUP, "notify": NOTIFY_GROUP}
    for name, group in groups.items():
        spec = hpas[name]["spec"]
        assert DEPLOYMENTS[name]["spec"]["replicas"] == spec["minReplicas"] >= 2  # one may die, one serves
        assert spec["maxReplicas"] == partitions  # more would idle
        (metric,) = spec["metrics"]
        assert metric["external"]["metric"]["name"] in served
        assert metric["external"]["metric"]["selector"]["matchLabels"] == {"service": group}
    assert {r["seriesQuery"].split("{")[0] for r in rules} == {CONSUMER_LAG._name}
    assert all(set(re.findall(r"by \(([^)]*)\)", r["metricsQuery"])[-1].replace(" ", "").split(","))
               <= set(CONSUMER_LAG._labelnames) for r in rules)
    assert DEPLOYMENTS["intake"]["spec"]["replicas"] == hpas["intake"]["spec"]["minReplicas"]


def test_replicated_topics_and_traces_to_the_collector() -> None:
    config = next(d for d in DOCS if d["metadata"]["name"] == "caseflow-config")["data"]
    assert (config["CASEFLOW_REPLICATION_FACTOR"], config["CASEFLOW_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    endpoint = urlparse(config["OTEL_EXPORTER_OTLP_ENDPOINT"])
    services = {d["metadata"]["name"]: d for d in DOCS if d["kind"] == "Service"}
    collector = yaml.safe_load((K8S / "otel-collector.yaml").read_text())
    assert endpoint.port in {p["port"] for p in services[str(endpoint.hostname)]["spec"]["ports"]}
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(f":{endpoint.port}")
    pipeline = collector["service"]["pipelines"]["traces"]
    assert set(pipeline["receivers"]) <= set(collector["receivers"])
    assert set(pipeline["processors"]) <= set(collector["processors"])
    assert set(pipeline["exporters"]) <= set(collector["exporters"])
    jaeger_host, _, jaeger_port = collector["exporters"]["otlp/jaeger"]["endpoint"].partition(":")
    assert int(jaeger_port) in {p["port"] for p in services[jaeger_host]["spec"]["ports"]}
    generated = {g["name"] for g in KUSTOMIZATION["configMapGenerator"]}
    mounted = {v["configMap"]["name"] for d in DOCS if d["kind"] == "Deployment"
               for v in d["spec"]["template"]["spec"].get("volumes", [])}
    assert mounted <= generated


PROVINCE = K8S / "province"


def test_the_province_overlay_runs_mirror_maker_from_the_pinned_release_with_each_city_secret() -> None:
    overlay = yaml.safe_load((PROVINCE / "kustomization.yaml").read_text())
    docs = [d for f in overlay["resources"] if f.endswith(".yaml")
            for d in yaml.safe_load_all((PROVINCE / f).read_text()) if d]
    for doc in docs:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    patch = yaml.safe_load(overlay["patches"][0]["patch"])
    assert patch == [{"op": "add", "path": "/data/CASEFLOW_CITY_FEEDS", "value": "true"}]
    assert "city_feeds" in Settings.model_fields
    pinned = re.search(r"<kafka.version>([^<]+)<", (K8S.parent / "kafka" / "pom.xml").read_text())
    assert pinned
    mirror = next(d for d in docs if d["kind"] == "Deployment")
    container = mirror["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"apache/kafka:{pinned.group(1)}"
    props = dict(line.split(" = ", 1) for line in (PROVINCE / "mm2.properties").read_text().splitlines()
                 if " = " in line and not line.startswith("#"))
    cities = [c for c in props["clusters"].split(", ") if c != "province"]
    secret_env = {e["name"] for e in container["env"] if "valueFrom" in e}
    for city in cities:
        assert props[f"{city}->province.enabled"] == "true" and props[f"province->{city}.enabled"] == "false"
        assert props[f"{city}->province.topics"] == r"caseflow\.(province-feed|closed-months)"
        assert props[f"{city}.security.protocol"] == "SASL_SSL"
        env = re.fullmatch(r"\$\{env:([A-Z_]+)\}", props[f"{city}.sasl.jaas.config"])
        assert env and env.group(1) in secret_env, f"{city}'s credentials come from its Secret key"
