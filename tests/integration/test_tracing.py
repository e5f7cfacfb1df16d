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
from caseflow.infra.tracing import context_from, start_consumer_spans
from caseflow_dispatch.consume import dispatch_batch
from caseflow_dispatch.handle import Tally, Topics
from caseflow_intake.adapters import KafkaEventBus
from caseflow_notify.inbox import store_on_alerts_raised
from caseflow_notify.store.inbox import PgInbox
from caseflow_scoring.alerting import schedule_on_cases_changed, tick
from caseflow_scoring.store.alerts import PgAlertLedger, PgAlertLedgers
from caseflow_scoring.store.cases import save_on_case_snapshots
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
    await dispatch_batch(store, [record(m, i) for i, m in enumerate(producer.sent)], rules,
                         Topics("snapshots", "dead-letter"), Tally(), 0, None)
    snapshot_message = next(m for m in store.outbox if m[0] == "snapshots")
    assert "traceparent" in snapshot_message[3]

    pool = await db.connect(settings.database_url)
    try:
        snap = {"value": snapshot_message[2], "key": b"T1", "headers": [(k, v.encode()) for k, v in
                                                                          snapshot_message[3].items()]}
        scoring_spans, headers = start_consumer_spans("scoring.snapshot", [record(snap, 0)])
        async with pool.acquire() as conn, conn.transaction():
            states = await save_on_case_snapshots(conn, [snap["value"]])
            await schedule_on_cases_changed(PgAlertLedger(conn, pool), states, ms("2026-11-03 12:00"), headers)
        for span in scoring_spans:
            span.end()
        # The clock plans the changed case after the commit, carrying the change's trace to its alerts.
        assert await tick(PgAlertLedgers(pool), rules, AlertPolicy(), "alerts", ms("2026-11-03 12:00"), 20) == 1
        outbox = await pool.fetch("SELECT key, value, headers FROM outbox ORDER BY id")
        alert_headers = [orjson.loads(r["headers"]) for r in outbox]
        first = outbox[0]
        alert = {"value": first["value"], "key": first["key"].encode(),
                 "headers": [(k, v.encode()) for k, v in alert_headers[0].items()]}
        async with pool.acquire() as conn, conn.transaction():
            assert await store_on_alerts_raised(PgInbox(conn), [record(alert, 0), record(alert, 1)]) == 1  # once per id
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
