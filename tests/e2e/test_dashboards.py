"""Every PromQL expression in the Grafana dashboards parses and returns data from the running services,
scraped by a real Prometheus (Debian's package). A panel that shows nothing is a failure."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from caseflow_devstack.kafka_local import free_port
from caseflow_devstack.prometheus_local import LocalPrometheus
from caseflow_devstack.stack import Services
from tests.conftest import CONTRACT
from tests.e2e.test_walking_skeleton import KEY, stack  # noqa: F401  (fixture)
from tests.support.events import ev

pytestmark = pytest.mark.e2e
DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"


def expressions() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            found += [(f"{path.stem}: {panel['title']}", t["expr"]) for t in panel["targets"]]
    return found


@pytest.fixture
def prometheus(stack: Services) -> Iterator[LocalPrometheus]:  # noqa: F811
    targets = [f"127.0.0.1:{svc.port}" for svc in stack.running.values()]
    prom = LocalPrometheus(free_port(), targets).start()
    try:
        yield prom
    finally:
        prom.stop()


def test_every_dashboard_expression_returns_data(stack: Services, prometheus: LocalPrometheus) -> None:  # noqa: F811
    intake = stack.running["intake"].url
    extra = [ev("disposed", "NOPE", "2026-11-03 09:00", unit="U1"),  # a dead letter
             ev("reported", "LATE-1", "2026-11-03 09:00"),  # overdue by now: alerts
             ev("dispatched", "LATE-1", "2026-11-03 09:30", unit="U-HW-LP",
                time_limit={"value": 2, "unit": "working_hours"})]
    traffic = (CONTRACT / "examples.jsonl").read_bytes() + b"".join(orjson.dumps(e) + b"\n" for e in extra)
    for _ in range(3):  # rates need samples on both sides of a change
        httpx.post(f"{intake}/v1/events:ndjson", content=traffic, headers=KEY, timeout=30)
        time.sleep(2)
    up = prometheus.query("up")
    assert len(up["data"]["result"]) == len(stack.running) and all(r["value"][1] == "1" for r in up["data"]["result"])
    pending = dict(expressions())
    assert len(pending) >= 15
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        for name, expr in list(pending.items()):
            answer = prometheus.query(expr)
            assert answer["status"] == "success", f"{name}: {answer.get('error')}"
            if answer["data"]["result"]:
                del pending[name]
        time.sleep(1)
    assert not pending, f"panels with no data: {sorted(pending)}"
