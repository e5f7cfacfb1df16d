"""scoring's topic entrypoint (infra.consuming decodes, traces and measures): case snapshots kept, and
the changed cases' alert timers made due, in the batch's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import asyncpg

from caseflow.infra.consuming import Consumed, entrypoint, raw
from caseflow.infra.kafka import BatchHandler
from caseflow_scoring.alerting import schedule_on_cases_changed
from caseflow_scoring.store.alerts import PgAlertLedger
from caseflow_scoring.store.cases import save_on_case_snapshots


def case_snapshots(pool: asyncpg.Pool, now_ms: Callable[[], int]) -> BatchHandler:
    async def on_case_snapshots(conn: asyncpg.Connection, snapshots: list[Consumed[bytes]],
                                traces: Mapping[str, dict[str, str]]) -> None:
        states = await save_on_case_snapshots(conn, [s.value for s in snapshots])
        await schedule_on_cases_changed(PgAlertLedger(conn, pool), states, now_ms(), traces)
    return entrypoint("scoring.snapshot", raw, on_case_snapshots)
