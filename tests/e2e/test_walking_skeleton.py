"""One case the whole way through real processes: HTTP -> intake -> Kafka -> dispatch -> scoring -> API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from caseflow.config.rules import load_calendar
from caseflow.infra.settings import Settings
from caseflow.instants import SHANGHAI
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.conftest import CONTRACT

KEY = {"X-API-Key": "test-platform-key"}
pytestmark = pytest.mark.e2e


def env_of(settings: Settings, units: Path) -> dict[str, str]:
    return {"KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "DATABASE_URL": settings.database_url,
            "CASEFLOW_TOPIC_PREFIX": settings.topic_prefix, "CASEFLOW_API_KEYS": settings.api_keys,
            "CASEFLOW_UNITS_FILE": str(units)}


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    services = Services(env_of(settings, CONTRACT / "units.example.yaml"),
                        {name: free_port() for name in SERVICES}, tmp_path / "logs")
    try:
        yield services.start()
    finally:
        services.stop_all()


def wait_for(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def test_example_case_reaches_the_scoreboard(stack: Services) -> None:
    intake, scoring = stack.running["intake"].url, stack.running["scoring"].url
    body = (CONTRACT / "examples.jsonl").read_bytes()
    r = httpx.post(f"{intake}/v1/events:ndjson", content=body, headers=KEY, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 9

    def month() -> dict | None:  # type: ignore[type-arg]
        got = httpx.get(f"{scoring}/v1/units/U-HW-LP/indicators", params={"period": "2026-11"}, headers=KEY)
        doc = got.json()
        return doc if got.status_code == 200 and doc["closed"] == 1 else None

    doc = wait_for(month)
    assert (doc["dispatched"], doc["disposed"], doc["on_time"], doc["reworked"], doc["visits"]) == (1, 1, 1, 1, 1)
    assert doc["scores"]["county-interim"]["rank"] == 1

    again = httpx.post(f"{intake}/v1/events:ndjson", content=body, headers=KEY, timeout=30)
    assert again.status_code == 200 and again.json()["duplicates"] == 9

    def metric(service: str, name: str) -> float:
        text = httpx.get(f"{stack.running[service].url}/metrics").text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))

    assert metric("intake", 'caseflow_intake_events_total{verdict="accepted"}') == 9
    assert metric("intake", 'caseflow_intake_events_total{verdict="duplicate"}') == 9
    assert metric("dispatch", "caseflow_events_consumed_total") == 9
    assert metric("dispatch", "caseflow_messages_produced_total") >= 1
    assert metric("scoring", "caseflow_events_consumed_total") >= 1
    next_year = datetime.now(SHANGHAI).year + 1
    expected = 1 if load_calendar().is_fallback_year(next_year) else 0
    assert metric("dispatch", f'caseflow_calendar_fallback{{year="{next_year}"}}') == expected


def test_probes_metrics_auth_and_clean_shutdown(stack: Services) -> None:
    for name, svc in stack.running.items():
        assert httpx.get(f"{svc.url}/healthz").status_code == 200, name
        assert httpx.get(f"{svc.url}/readyz").status_code == 200, name
        metrics = httpx.get(f"{svc.url}/metrics")
        assert metrics.status_code == 200 and "python_info" in metrics.text, name
    intake = stack.running["intake"].url
    assert httpx.post(f"{intake}/v1/events", json={}).status_code == 401
    assert httpx.post(f"{intake}/v1/events", json={}, headers={"X-API-Key": "wrong"}).status_code == 401
    assert httpx.get(f"{stack.running['scoring'].url}/v1/periods/2026-11").status_code == 401
    for name in list(stack.running):
        log = stack.running[name].log_path
        assert stack.stop(name) == 0, f"{name} did not exit cleanly on SIGTERM"
        assert "stopped cleanly" in log.read_text(), name
