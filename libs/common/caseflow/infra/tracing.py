"""OpenTelemetry: one trace per case event, carried in Kafka headers (W3C traceparent) from intake
through dispatch and scoring to the alerts topic and notify. Exported over OTLP/HTTP to the endpoint in
the settings (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. an OpenTelemetry Collector); otherwise spans are made and
dropped."""

from __future__ import annotations

import os
from collections.abc import Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

Headers = Sequence[tuple[str, bytes]]


def setup_tracing(service: str, endpoint: str = "") -> None:
    """Once per process, in bootstrap. Tests install their own provider first and keep it."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"caseflow-{service}"}))
    if endpoint or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces") if endpoint else OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def tracer() -> trace.Tracer:
    return trace.get_tracer("caseflow")


def context_from(headers: Headers | None) -> Context:
    carrier = {k: v.decode("latin-1") for k, v in headers or () if k in ("traceparent", "tracestate")}
    return propagate.extract(carrier)


def current_headers() -> dict[str, str]:
    """The current span's context as message headers (traceparent, tracestate)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def headers_for(span: trace.Span) -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def as_kafka(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers.items()]


def start_consumer_spans(name: str, records: Sequence[object]) -> tuple[list[trace.Span], dict[str, dict[str, str]]]:
    """One span per consumed record, child of the producer's span; and, per record key (the case),
    the headers that continue the trace of the latest record of that key."""
    spans, by_key = [], {}
    for r in records:
        key = (getattr(r, "key", None) or b"").decode(errors="replace")
        span = tracer().start_span(name, context=context_from(getattr(r, "headers", None)),
                                   attributes={"messaging.kafka.message.key": key,
                                               "messaging.kafka.offset": int(getattr(r, "offset", -1))})
        spans.append(span)
        by_key[key] = headers_for(span)
    return spans, by_key
