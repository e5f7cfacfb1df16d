"""docker-compose.yml cannot run here: keep it honest by checking it against the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from caseflow.cli import COMMANDS
from caseflow.infra.settings import Settings
from caseflow_devstack.kafka_local import pinned_version

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(f"CASEFLOW_{name.upper()}")
        if alias is not None:
            names.update(getattr(alias, "choices", [alias]))
    return names


def test_every_service_is_there_and_runs_a_real_command() -> None:
    services = COMPOSE["services"]
    for name in ("intake", "dispatch", "scoring", "notify"):
        assert services[name]["command"] == [name]
        assert name in COMMANDS
    assert {"kafka", "postgres", "prometheus", "grafana"} <= set(services)


def test_kafka_image_matches_the_pinned_broker() -> None:
    assert COMPOSE["services"]["kafka"]["image"] == f"apache/kafka:{pinned_version()}"


def test_service_env_vars_are_settings_the_code_reads() -> None:
    known = _env_names()
    for name in ("intake", "dispatch", "scoring", "notify"):
        env = COMPOSE["services"][name]["environment"]
        unknown = set(env) - known
        assert not unknown, f"{name}: env vars the code does not read: {unknown}"
        assert env["CASEFLOW_PORT"] == "8000"
        _host, _, container = COMPOSE["services"][name]["ports"][0].partition(":")
        assert container == env["CASEFLOW_PORT"]


def test_bootstrap_and_database_point_at_compose_services() -> None:
    env = COMPOSE["services"]["intake"]["environment"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert re.match(r"postgresql://\w+:\w+@postgres:5432/\w+", env["DATABASE_URL"])


def test_prometheus_scrapes_every_service() -> None:
    prom = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = prom["scrape_configs"][0]["static_configs"][0]["targets"]
    assert sorted(targets) == sorted(f"{s}:8000" for s in ("intake", "dispatch", "scoring", "notify"))


def test_dockerfile_entrypoint_is_the_cli() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["caseflow"]' in text and "requirements.lock" in text


def test_traces_go_to_the_collector_and_on_to_jaeger() -> None:
    services = COMPOSE["services"]
    endpoint = services["intake"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert endpoint == "http://otel-collector:4318"
    mount = services["otel-collector"]["volumes"][0].split(":")
    assert (ROOT / mount[0]).exists() and services["otel-collector"]["command"] == [f"--config={mount[1]}"]
    collector = yaml.safe_load((ROOT / mount[0]).read_text())
    assert collector["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
