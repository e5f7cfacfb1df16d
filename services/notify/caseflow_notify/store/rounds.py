"""The Rounds port on a pool: one transaction's queue, robots and inbox on one connection."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import asyncpg

from caseflow.infra import db
from caseflow_notify.store.deliveries import PgDeliveryQueue, recover_interrupted
from caseflow_notify.store.inbox import PgInbox
from caseflow_notify.store.robots import PgRobotSlots


class PgRound:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.queue, self.robots, self.inbox = PgDeliveryQueue(conn), PgRobotSlots(conn), PgInbox(conn)


class PgRounds:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    def transaction(self) -> AbstractAsyncContextManager[PgRound]:
        return db.transaction(self.pool, PgRound)

    async def recover_interrupted(self, grace: timedelta) -> int:
        return await recover_interrupted(self.pool, grace)
