"""`caseflow notify`: consumes the alerts topic into its inbox (once per alert_id, traced), delivers to
each unit's channels (webhook, DingTalk, WeCom) with grouping, quiet hours, silences, retries and
escalation, and serves a live feed and page per unit."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

import asyncpg
from fastapi import FastAPI

from caseflow.config.rules import load_rules
from caseflow.config.units import read_units_file
from caseflow.domain.rules import Rules
from caseflow.infra.http import serve, service_app
from caseflow.infra.kafka import BatchHandler, PostgresOffsetConsumer, run_consumer
from caseflow.infra.metrics import CHANNEL_FAILURES, ROBOT_ANSWERS, ROBOT_DEFERRED
from caseflow.infra.pool_watch import as_purpose
from caseflow.infra.service import consuming_lifespan
from caseflow.infra.settings import Settings, service_settings
from caseflow.infra.tracing import setup_tracing
from caseflow_notify import consumers
from caseflow_notify.api import add_routes
from caseflow_notify.board_api import add_board_routes
from caseflow_notify.channels import Routing, parse_routing, routing_of
from caseflow_notify.compose import DeliveryConfig
from caseflow_notify.content import Links
from caseflow_notify.deliver import run_delivery
from caseflow_notify.escalate import run_escalation
from caseflow_notify.retry import RetryPolicy
from caseflow_notify.store.rounds import PgRounds

EXAMPLES = """examples:
  caseflow notify --port 8004
  curl -H 'X-API-Key: KEY' localhost:8004/v1/units/U-HW-LP/alerts
  open http://localhost:8004/units/U-HW-LP  (a unit's board of open cases, live: sign in with its token,
                                            or follow a robot message's link, which signs in by itself)
  open http://localhost:8004/board          (the command centre's board: sign in with an operator key)
Environment: CASEFLOW_UNITS_FILE (channels, leadership_channels, quiet_hours), CASEFLOW_UNIT_TOKENS,
CASEFLOW_NOTIFY_GROUP_SECONDS, CASEFLOW_NOTIFY_ESCALATE_AFTER_SECONDS, CASEFLOW_NOTIFY_CATCH_UP_SECONDS,
CASEFLOW_NOTIFY_DIGEST_SECONDS, CASEFLOW_CASE_URL_TEMPLATE, CASEFLOW_PUBLIC_URL, CASEFLOW_DELIVERY_*"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")


def load_routing(settings: Settings) -> Routing:
    if settings.units_file is None:
        return parse_routing({})
    return routing_of(read_units_file(settings.units_file))


def delivery_config(settings: Settings, routing: Routing, rules: Rules) -> DeliveryConfig:
    board = f"{settings.public_url.rstrip('/')}/units/{{unit}}" if settings.public_url else ""
    ours = tuple(url.rstrip("/") + "/" for url in (settings.public_url, settings.scoring_url) if url)
    links = Links(settings.case_url_template, board, settings.link_secret, settings.link_days * 86400, ours)
    return DeliveryConfig(
        routing, RetryPolicy(give_up_after=settings.delivery_give_up_seconds), rules.calendar,
        links, timedelta(seconds=settings.notify_group_seconds),
        timedelta(seconds=settings.notify_digest_seconds), rate_margin=settings.notify_robot_margin_seconds)


def _series_at_zero() -> None:
    """Every robot outcome and failure kind exists from the start (a dashboard panel is never empty)."""
    for channel in ("dingtalk", "wecom", "webhook"):
        for kind in ("permanent", "too_long", "gave_up"):
            CHANNEL_FAILURES.labels(channel, kind)
    for channel in ("dingtalk", "wecom"):
        ROBOT_DEFERRED.labels(channel)
        for outcome in ("delivered", "retry", "throttled", "too_long", "permanent"):
            ROBOT_ANSWERS.labels(channel, outcome)


def bootstrap(settings: Settings) -> FastAPI:
    setup_tracing("notify", settings.otlp_endpoint)
    _series_at_zero()
    routing = load_routing(settings)
    rules = load_rules(settings.calendar_file, settings.time_limits_file, settings.rules_file)
    cfg = delivery_config(settings, routing, rules)
    catch_up = timedelta(seconds=settings.notify_catch_up_seconds)

    def handler_for(pool: asyncpg.Pool) -> BatchHandler:
        return consumers.alerts(routing, catch_up)

    async def deliver(pool: asyncpg.Pool, stopping: asyncio.Event, wake: asyncio.Event | None) -> None:
        rounds = PgRounds(pool)
        await asyncio.gather(
            as_purpose("delivery", run_delivery(rounds, cfg, stopping, settings.delivery_timeout_seconds)),
            as_purpose("board-consumer", run_consumer(PostgresOffsetConsumer(
                settings, pool, settings.topic("case-snapshots"), "caseflow-notify-board",
                consumers.case_snapshots(rules)), stopping)),
            # alerts raised long after their instant come on a lane of their own: the fresh ones (the
            # lifespan's consumer) never wait behind them
            as_purpose("backlog-consumer", run_consumer(PostgresOffsetConsumer(
                settings, pool, settings.topic("alerts-backlog"), "caseflow-notify-backlog",
                consumers.alerts(routing, catch_up)), stopping)),
            as_purpose("risk-consumer", run_consumer(PostgresOffsetConsumer(
                settings, pool, settings.topic("case-risks"), "caseflow-notify-risks", consumers.case_risks()),
                stopping)),
            as_purpose("escalation", run_escalation(
                rounds, routing, timedelta(seconds=settings.notify_escalate_after_seconds), stopping, catch_up)))

    lifespan = consuming_lifespan(settings, settings.topic("alerts"), "caseflow-notify", handler_for,
                                  with_outbox=False, background=deliver)
    app = service_app("notify", lifespan)
    add_routes(app, settings)
    add_board_routes(app, settings, dict(routing.unit_names), dict(routing.region_names))
    return app


def run(args: argparse.Namespace) -> int:
    settings = service_settings(args.port)
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
