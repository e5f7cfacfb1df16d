"""`caseflow scoring`: keep every case's latest snapshot and serve indicators, scores and rankings."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import Any

import asyncpg
from fastapi import FastAPI

from caseflow.config.assessments import load_templates
from caseflow.config.rules import load_rules, warn_if_fallback
from caseflow.config.schemes import load_schemes
from caseflow.config.units import Directory, load_directory
from caseflow.evaluation.fed_terms import bound_to_schemes
from caseflow.infra.http import serve, service_app
from caseflow.infra.kafka import BatchHandler
from caseflow.infra.pool_watch import as_purpose
from caseflow.infra.service import consuming_lifespan
from caseflow.infra.settings import Settings, service_settings
from caseflow.infra.tracing import setup_tracing
from caseflow.instants import SHANGHAI
from caseflow_scoring import consumers
from caseflow_scoring.alerting import AlertTopics, run_deadline_clock, wall_clock_ms
from caseflow_scoring.api import add_routes
from caseflow_scoring.assessment_api import add_assessment_routes
from caseflow_scoring.assessment_page import add_assessment_page, add_exemption_page
from caseflow_scoring.city_feeds import run_city_months
from caseflow_scoring.exempting import Window
from caseflow_scoring.exemption_api import add_exemption_routes
from caseflow_scoring.home_page import add_home_page
from caseflow_scoring.overdue_risk import RiskModels
from caseflow_scoring.people_api import People, add_people_routes
from caseflow_scoring.period_alerts import run_period_alerts
from caseflow_scoring.period_numbers import Scoring, served_document
from caseflow_scoring.province_api import add_province_routes
from caseflow_scoring.reminders import run_reminders
from caseflow_scoring.reminding import Lead
from caseflow_scoring.risk_warnings import run_risk_sweep
from caseflow_scoring.standing import run_standing
from caseflow_scoring.standing_api import add_standing_routes
from caseflow_scoring.store.alerts import OUTBOX_SOURCE, PgAlertLedgers
from caseflow_scoring.store.cases import PgCases
from caseflow_scoring.store.city_months import PgCityMonths
from caseflow_scoring.store.period_sources import PgPeriodSources
from caseflow_scoring.store.reminders import PgReminders
from caseflow_scoring.whatif_api import add_whatif_routes

EXAMPLES = """examples:
  caseflow scoring --port 8003
  curl -H 'X-API-Key: KEY' localhost:8003/v1/periods/2026-10
  curl -H 'X-API-Key: KEY' localhost:8003/v1/units/U-HW-LP/indicators?period=2026-11
Environment: KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, CASEFLOW_UNITS_FILE, CASEFLOW_SCHEMES_DIR"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")


def bootstrap(settings: Settings) -> FastAPI:
    setup_tracing("scoring", settings.otlp_endpoint)
    rules = load_rules(settings.calendar_file, settings.time_limits_file, settings.rules_file)
    this_year = datetime.now(SHANGHAI).year
    warn_if_fallback(rules.calendar, range(this_year, this_year + 2))
    schemes = load_schemes(settings.schemes_dir)
    directory = load_directory(settings.units_file) if settings.units_file else Directory({}, {})

    scoring = Scoring(rules, directory, schemes, bound_to_schemes(schemes, load_templates(settings.assessments_dir)))
    policy = rules.alerts
    alerts_topic = settings.topic("alerts")
    lanes = AlertTopics(alerts_topic, settings.topic("alerts-backlog"), int(settings.notify_catch_up_seconds * 1000))
    window = Window(rules.calendar, settings.exemption_working_days)
    models = RiskModels(rules, directory.unit_class)  # overdue risk: one model per replica, sweep and API

    def handler_for(pool: asyncpg.Pool) -> BatchHandler:
        return consumers.case_snapshots(pool, wall_clock_ms)

    async def clock(pool: asyncpg.Pool, stopping: asyncio.Event, wake: asyncio.Event | None) -> None:
        ledgers = PgAlertLedgers(pool)
        await asyncio.gather(
            as_purpose("deadline-clock",
                       run_deadline_clock(ledgers, rules, policy, lanes, stopping, wake, nudged=changed)),
            as_purpose("period-alerts", run_period_alerts(PgCases(pool), ledgers, rules, directory, lanes,
                                                          stopping)),
            as_purpose("standing", run_standing(pool, scoring, stopping, restate, wall_clock_ms)),
            as_purpose("reminders", run_reminders(
                PgCases(pool), PgReminders(pool, alerts_topic), window, scoring.templates,
                settings.assessment_appeal_days, Lead(int(settings.reminder_hours * 3_600_000)),
                settings.standing_link, stopping)),
            *([as_purpose("city-months", run_city_months(settings, PgCityMonths(pool), stopping))]
              if settings.city_feeds else []),
            as_purpose("risk-sweep", run_risk_sweep(
                PgCases(pool), ledgers, models, settings.risk_warning_threshold,
                lanes, settings.topic("case-risks"), stopping, settings.risk_every_seconds)))

    # Set after each committed snapshot batch: the clock plans those cases, standing indicators refresh.
    changed, restate = asyncio.Event(), asyncio.Event()

    def committed() -> None:
        changed.set()
        restate.set()

    lifespan = consuming_lifespan(settings, settings.topic("case-snapshots"), OUTBOX_SOURCE, handler_for,
                                  with_outbox=True, background=clock, after_commit=committed)
    app = service_app("scoring", lifespan, "Unit and region indicators, scheme scores and rankings, for any period.")
    add_routes(app, settings, scoring)
    people = People(settings, lambda: app.state.pool)
    add_people_routes(app, settings, people)

    async def numbers(period: str) -> dict[str, Any]:
        """The indicators assessments score with: a closed month's as closed, else live."""
        return await served_document(PgPeriodSources(app.state.pool), period, None, scoring, assessed=False)
    add_assessment_routes(app, settings, scoring.templates, numbers, directory, people)
    add_exemption_routes(app, settings, window, people)
    add_standing_routes(app, settings, scoring, window, people, models)
    add_whatif_routes(app, scoring, people)
    add_home_page(app, scoring, settings.city_feeds)
    add_assessment_page(app)
    add_exemption_page(app)
    if settings.city_feeds:
        async def assessed(period: str) -> dict[str, Any]:  # with the province's templates on its cities
            return await served_document(PgPeriodSources(app.state.pool), period, None, scoring)
        add_province_routes(app, people, lambda: PgCityMonths(app.state.pool), assessed,
                            {r.id: r.name for r in directory.regions.values()})
    return app


def run(args: argparse.Namespace) -> int:
    settings = service_settings(args.port)
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
