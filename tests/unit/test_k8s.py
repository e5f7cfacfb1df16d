"""deploy/k8s: valid against the Kubernetes schema, and consistent with the code it runs."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from caseflow.cli import COMMANDS
from caseflow.infra.settings import Settings
from tests.unit.test_compose import _env_names

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
DOCS = [d for f in KUSTOMIZATION["resources"] for d in yaml.safe_load_all((K8S / f).read_text()) if d]
DEPLOYMENTS = {d["metadata"]["name"].removeprefix("caseflow-"): d for d in DOCS if d["kind"] == "Deployment"}
SECRET_NAMES = {"DATABASE_URL", "CASEFLOW_API_KEYS"}


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


def test_partitioned_consumers_match_the_partition_count() -> None:
    config = next(d for d in DOCS if d["metadata"]["name"] == "caseflow-config")
    partitions = int(config["data"]["CASEFLOW_PARTITIONS"])
    assert partitions == Settings().partitions
    for name in ("dispatch", "scoring"):
        assert DEPLOYMENTS[name]["spec"]["replicas"] == partitions
