"""`caseflow notify`: consumes the alerts topic into its inbox (once per alert_id, traced).
Delivery to units (webhooks, robots, live feed) is the open issue "Notify"."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from fastapi import Depends, FastAPI

from caseflow.infra.http import add_http_metrics, add_probes, api_key_auth, serve
from caseflow.infra.service import consuming_lifespan, not_ready
from caseflow.infra.settings import Settings
from caseflow.infra.tracing import setup_tracing
from caseflow.notify.inbox import store_on_alerts_raised

EXAMPLES = """examples:
  caseflow notify --port 8004
  curl -H 'X-API-Key: KEY' localhost:8004/v1/units/U-HW-LP/alerts"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")


def bootstrap(settings: Settings) -> FastAPI:
    setup_tracing("notify")

    def handler_for(pool: asyncpg.Pool):
        async def handle(conn: asyncpg.Connection, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
            await store_on_alerts_raised(conn, records)
        return handle

    lifespan = consuming_lifespan(settings, settings.topic("alerts"), "caseflow-notify", handler_for,
                                  with_outbox=False)
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

    return app


def run(args: argparse.Namespace) -> int:
    settings = Settings(**({"port": args.port} if args.port else {}))
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
