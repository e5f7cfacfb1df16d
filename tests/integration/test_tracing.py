"""One case event is one trace: intake's span -> dispatch's span -> scoring's span -> the alert message,
linked through Kafka headers. Spans are collected with the SDK's in-memory exporter."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from caseflow.domain.alerts import AlertPolicy
from caseflow.domain.rules import Rules
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow.infra.tracing import context_from
from caseflow_dispatch.consume import case_events
from caseflow_dispatch.handle import Tally, Topics
from caseflow_intake.adapters import KafkaEventBus
from caseflow_notify import consumers as notify_consumers
from caseflow_scoring import consumers as scoring_consumers
from caseflow_scoring.alerting import tick
from caseflow_scoring.store.alerts import PgAlertLedgers
from tests.service.test_dispatch_handle import MemoryStore
from tests.support.events import ev, ms


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


class CapturingProducer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> Any:
        self.sent.append({"topic": topic, "value": value, "key": key, "headers": headers})
        done = __import__("asyncio").get_running_loop().create_future()
        done.set_result(None)
        return done


def record(message: dict[str, Any], offset: int) -> SimpleNamespace:
    return SimpleNamespace(value=message["value"], key=message["key"], headers=message["headers"], offset=offset)


async def test_a_case_event_is_one_trace(spans: InMemorySpanExporter, settings: Settings, rules: Rules) -> None:
    spans.clear()
    producer = CapturingProducer()
    events = [ev("reported", "T1", "2026-11-03 09:00"),
              ev("dispatched", "T1", "2026-11-03 09:30", unit="U1", time_limit={"value": 1, "unit": "hours"})]
    await KafkaEventBus(producer, "case-events", "dead-letter").publish([("T1", orjson.dumps(e)) for e in events])  # type: ignore[arg-type]
    assert all(dict(m["headers"]).get("traceparent") for m in producer.sent)

    store = MemoryStore()
    on_events = case_events(lambda conn: store, rules, Topics("snapshots", "dead-letter"), Tally(), lambda: 0, None)
    await on_events(None, [record(m, i) for i, m in enumerate(producer.sent)])  # type: ignore[arg-type]
    snapshot_message = next(m for m in store.outbox if m[0] == "snapshots")
    assert "traceparent" in snapshot_message[3]

    pool = await db.connect(settings.database_url)
    try:
        snap = {"value": snapshot_message[2], "key": b"T1", "headers": [(k, v.encode()) for k, v in
                                                                          snapshot_message[3].items()]}
        async with pool.acquire() as conn, conn.transaction():
            await scoring_consumers.case_snapshots(pool, lambda: ms("2026-11-03 12:00"))(conn, [record(snap, 0)])
        # The clock plans the changed case after the commit, carrying the change's trace to its alerts.
        assert await tick(PgAlertLedgers(pool), rules, AlertPolicy(), "alerts", ms("2026-11-03 12:00"), 20) == 1
        outbox = await pool.fetch("SELECT key, value, headers FROM outbox ORDER BY id")
        alert_headers = [orjson.loads(r["headers"]) for r in outbox]
        first = outbox[0]
        alert = {"value": first["value"], "key": first["key"].encode(),
                 "headers": [(k, v.encode()) for k, v in alert_headers[0].items()]}
        async with pool.acquire() as conn, conn.transaction():
            await notify_consumers.alerts(None, None)(conn, [record(alert, 0), record(alert, 1)])
        assert await pool.fetchval("SELECT count(*) FROM notify_inbox") == 1  # once per id
    finally:
        await pool.close()

    finished = {s.name: s for s in spans.get_finished_spans()}
    intake = [s for s in spans.get_finished_spans() if s.name == "intake.event"][-1]
    dispatch, scoring = finished["dispatch.event"], finished["scoring.snapshot"]
    assert dispatch.context.trace_id == intake.context.trace_id
    assert dispatch.parent is not None and dispatch.parent.span_id == intake.context.span_id
    assert scoring.parent is not None and scoring.parent.span_id == dispatch.context.span_id
    assert scoring.context.trace_id == intake.context.trace_id
    alert_ctx = trace.get_current_span(context_from([(k, v.encode()) for k, v in alert_headers[0].items()]))
    assert alert_ctx.get_span_context().span_id == scoring.context.span_id
    notify = next(s for s in spans.get_finished_spans() if s.name == "notify.alert")
    assert notify.parent is not None and notify.parent.span_id == scoring.context.span_id
    assert notify.context.trace_id == intake.context.trace_id
