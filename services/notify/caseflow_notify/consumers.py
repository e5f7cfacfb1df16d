"""notify's topic entrypoints (infra.consuming decodes, traces and measures): alerts into the inbox,
case snapshots and their overdue risks onto the boards."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import asyncpg

from caseflow.contract.alert import AlertMessage
from caseflow.contract.alert import decode as decode_alert
from caseflow.contract.case_risk import CaseRisk
from caseflow.contract.case_risk import decode as decode_risk
from caseflow.domain.rules import Rules
from caseflow.infra.consuming import Consumed, entrypoint, raw
from caseflow.infra.kafka import BatchHandler
from caseflow_notify.board_view import keep_on_case_risks, keep_on_case_snapshots
from caseflow_notify.channels import Routing
from caseflow_notify.inbox import store_on_alerts_raised
from caseflow_notify.store.inbox import PgInbox


def alerts(routing: Routing | None, catch_up: timedelta | None) -> BatchHandler:
    async def on_alerts_raised(conn: asyncpg.Connection, alerts: list[Consumed[AlertMessage]],
                               traces: Mapping[str, dict[str, str]]) -> None:
        await store_on_alerts_raised(PgInbox(conn), alerts, routing, catch_up)
    return entrypoint("notify.alert", decode_alert, on_alerts_raised)


def case_snapshots(rules: Rules) -> BatchHandler:
    async def on_case_snapshots(conn: asyncpg.Connection, snapshots: list[Consumed[bytes]],
                                traces: Mapping[str, dict[str, str]]) -> None:
        await keep_on_case_snapshots(conn, [s.value for s in snapshots], rules)
    return entrypoint("notify.snapshot", raw, on_case_snapshots)


def case_risks() -> BatchHandler:
    async def on_case_risks(conn: asyncpg.Connection, risks: list[Consumed[CaseRisk]],
                            traces: Mapping[str, dict[str, str]]) -> None:
        await keep_on_case_risks(conn, [r.value for r in risks])
    return entrypoint("notify.case_risk", decode_risk, on_case_risks)
