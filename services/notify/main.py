"""`caseflow notify`: consumes the alerts topic into its inbox (once per alert_id, traced).
Delivery to units (webhooks, robots, live feed) is the open issue "Notify"."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import yaml
from aiokafka import ConsumerRecord
from fastapi import Depends, FastAPI, HTTPException

from caseflow.infra.http import add_http_metrics, add_probes, api_key_auth, serve
from caseflow.infra.service import consuming_lifespan, not_ready
from caseflow.infra.settings import Settings
from caseflow.infra.tracing import setup_tracing
from caseflow.notify.channels import Routing, parse_routing
from caseflow.notify.deliver import run_delivery
from caseflow.notify.inbox import store_on_alerts_raised
from caseflow.notify.retry import RetryPolicy

EXAMPLES = """examples:
  caseflow notify --port 8004
  curl -H 'X-API-Key: KEY' localhost:8004/v1/units/U-HW-LP/alerts"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")


def load_routing(settings: Settings) -> Routing:
    if settings.units_file is None:
        return parse_routing({})
    return parse_routing(yaml.safe_load(settings.units_file.read_text("utf-8")) or {})


def bootstrap(settings: Settings) -> FastAPI:
    setup_tracing("notify")
    routing = load_routing(settings)
    policy = RetryPolicy(give_up_after=settings.delivery_give_up_seconds)

    def handler_for(pool: asyncpg.Pool):
        async def handle(conn: asyncpg.Connection, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
            await store_on_alerts_raised(conn, records, routing)
        return handle

    async def deliver(pool: asyncpg.Pool, stopping: asyncio.Event, wake: asyncio.Event | None) -> None:
        await run_delivery(pool, routing, policy, stopping, settings.delivery_timeout_seconds,
                           timedelta(seconds=settings.notify_group_seconds))

    lifespan = consuming_lifespan(settings, settings.topic("alerts"), "caseflow-notify", handler_for,
                                  with_outbox=False, background=deliver)
    app = FastAPI(title="caseflow notify", version="1", lifespan=lifespan)
    app.state.ready = not_ready

    async def ready() -> bool:
        return bool(await app.state.ready())

    add_probes(app, ready)
    add_http_metrics(app, "notify")
    caller = Depends(api_key_auth(settings))

    @app.get("/v1/units/{unit}/alerts", tags=["alerts"], summary="alerts received for a unit, newest first")
    async def unit_alerts(unit: str, limit: int = 100, who: str = caller) -> dict[str, Any]:
        rows = await app.state.pool.fetch(
            "SELECT body, received_at FROM notify_inbox WHERE unit = $1 ORDER BY received_at DESC LIMIT $2",
            unit, min(max(limit, 1), 1000))
        import orjson

        return {"unit": unit, "alerts": [{**orjson.loads(r["body"]), "received_at": r["received_at"].isoformat()}
                                         for r in rows]}

    @app.get("/v1/deliveries", tags=["alerts"], summary="deliveries and their attempts, by unit or case")
    async def deliveries(unit: str | None = None, case_id: str | None = None, who: str = caller) -> dict[str, Any]:
        if not unit and not case_id:
            raise HTTPException(422, "give unit=… or case_id=…")
        rows = await app.state.pool.fetch(
            "SELECT alert_id, receiver, unit, case_id, channel_type, status, attempts, last_code, last_error "
            "FROM notify_deliveries WHERE ($1::text IS NULL OR unit = $1) AND ($2::text IS NULL OR case_id = $2) "
            "ORDER BY alert_id, receiver LIMIT 1000", unit, case_id)
        attempts = await app.state.pool.fetch(
            "SELECT alert_id, receiver, attempt, status_code, error, latency_ms, at FROM notify_attempts "
            "WHERE alert_id = ANY($1::text[]) ORDER BY id", list({r["alert_id"] for r in rows}))
        by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for a in attempts:
            by_key.setdefault((a["alert_id"], a["receiver"]), []).append(
                {"attempt": a["attempt"], "status_code": a["status_code"], "error": a["error"],
                 "latency_ms": a["latency_ms"], "at": a["at"].isoformat()})
        return {"deliveries": [{**dict(r), "attempts_detail": by_key.get((r["alert_id"], r["receiver"]), [])}
                               for r in rows]}

    return app


def run(args: argparse.Namespace) -> int:
    settings = Settings(**({"port": args.port} if args.port else {}))
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
