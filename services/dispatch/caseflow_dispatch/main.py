"""`caseflow dispatch`: consume case events, archive them, keep each case's state and deadlines,
publish snapshots."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from aiokafka import ConsumerRecord
from fastapi import FastAPI

from caseflow.config.responsibility import load_responsibility
from caseflow.config.rules import load_rules, warn_if_fallback
from caseflow.infra.archive import archive_records
from caseflow.infra.http import serve, service_app
from caseflow.infra.kafka import BatchHandler
from caseflow.infra.service import consuming_lifespan
from caseflow.infra.settings import Settings, service_settings
from caseflow.infra.tracing import setup_tracing
from caseflow.instants import SHANGHAI
from caseflow_dispatch.api import add_routes
from caseflow_dispatch.consume import case_events
from caseflow_dispatch.handle import Tally, Topics
from caseflow_dispatch.store import OUTBOX_SOURCE, PostgresCaseStore

EXAMPLES = """examples:
  caseflow dispatch --port 8002
Environment: KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, CASEFLOW_CALENDAR_FILE, CASEFLOW_TIME_LIMITS_FILE"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")


def bootstrap(settings: Settings) -> FastAPI:
    setup_tracing("dispatch", settings.otlp_endpoint)
    rules = load_rules(settings.calendar_file, settings.time_limits_file, settings.rules_file)
    this_year = datetime.now(SHANGHAI).year
    warn_if_fallback(rules.calendar, range(this_year, this_year + 2))
    topics = Topics(snapshots=settings.topic("case-snapshots"), dead_letter=settings.topic("dead-letter"),
                    proposals=settings.topic("dispatch-proposals"))
    table = load_responsibility(settings.responsibility_file) if settings.responsibility_file else None
    tally = Tally()

    def handler_for(pool: asyncpg.Pool) -> BatchHandler:
        handle = case_events(PostgresCaseStore, rules, topics, tally, lambda: int(time.time() * 1000), table)

        async def archived(conn: asyncpg.Connection, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
            await archive_records(conn, records)  # every record as it came, before reading it
            await handle(conn, records)
        return archived

    lifespan = consuming_lifespan(settings, settings.topic("case-events"), OUTBOX_SOURCE, handler_for,
                                  with_outbox=True)
    app = service_app("dispatch", lifespan)
    add_routes(app, settings)
    return app


def run(args: argparse.Namespace) -> int:
    settings = service_settings(args.port)
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
