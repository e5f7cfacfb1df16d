"""Traces reach a backend: the four services, run as processes with OTEL_EXPORTER_OTLP_ENDPOINT, export
over OTLP/HTTP to a receiver that decodes the protobuf as a collector does. One event's spans — intake
accepting it, dispatch applying it, scoring raising its overdue alert, notify taking the alert — share
one trace, each Kafka hop a parent-child link."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from caseflow.infra.settings import Settings
from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.stack import SERVICES, Services
from tests.conftest import CONTRACT
from tests.e2e.test_walking_skeleton import KEY, env_of
from tests.support.events import ev
from tests.support.otlp import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.e2e
HOPS = [("caseflow-intake", "intake.event"), ("caseflow-dispatch", "dispatch.event"),
        ("caseflow-scoring", "scoring.snapshot"), ("caseflow-notify", "notify.alert")]


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture
def stack(settings: Settings, receiver: OtlpReceiver, tmp_path: Path) -> Iterator[Services]:
    env = {**env_of(settings, CONTRACT / "units.example.yaml"), "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
           "OTEL_BSP_SCHEDULE_DELAY": "200"}
    services = Services(env, {n: free_port() for n in SERVICES}, tmp_path / "logs")
    try:
        yield services.start()
    finally:
        services.stop_all()


def chain(spans: list[ReceivedSpan]) -> list[ReceivedSpan] | None:
    """intake -> dispatch -> scoring -> notify within one trace, each the parent of the next."""
    by_id = {s.span_id: s for s in spans}
    for last in (s for s in spans if (s.service, s.name) == HOPS[-1]):
        path = [last]
        while path[-1].parent_id in by_id:
            path.append(by_id[path[-1].parent_id])
        found = [s for s in reversed(path) if (s.service, s.name) in HOPS]
        if [(s.service, s.name) for s in found] == HOPS:
            return found
    return None


def test_one_event_is_one_trace_across_the_four_services(stack: Services, receiver: OtlpReceiver) -> None:
    events = [ev("reported", "TR-1", "2026-11-20 09:00"),
              ev("dispatched", "TR-1", "2026-11-20 09:30", unit="U-HW-LP", time_limit={"value": 2, "unit": "hours"})]
    body = b"".join(orjson.dumps(e) + b"\n" for e in events)
    answer = httpx.post(f"{stack.running['intake'].url}/v1/events:ndjson", content=body, headers=KEY, timeout=30)
    assert answer.status_code == 200, answer.text
    deadline, found = time.monotonic() + 90, None
    while found is None and time.monotonic() < deadline:
        time.sleep(0.5)
        found = chain(list(receiver.spans))
    services = sorted({s.service for s in receiver.spans})
    assert found is not None, f"no intake->dispatch->scoring->notify chain in {len(receiver.spans)} spans of {services}"
    assert len({s.trace_id for s in found}) == 1
    assert found[0].attributes.get("case_id") == "TR-1"
    assert found[1].attributes.get("messaging.kafka.message.key") == "TR-1"
    assert receiver.refused == 0
