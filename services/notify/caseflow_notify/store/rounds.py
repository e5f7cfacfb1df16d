"""The Rounds port on a pool: one transaction's queue, robots and inbox on one connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg

from caseflow_notify.store.deliveries import PgDeliveryQueue, recover_interrupted
from caseflow_notify.store.inbox import PgInbox
from caseflow_notify.store.robots import PgRobotSlots


class PgRound:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.queue, self.robots, self.inbox = PgDeliveryQueue(conn), PgRobotSlots(conn), PgInbox(conn)


class PgRounds:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgRound]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PgRound(conn)

    async def recover_interrupted(self, grace: timedelta) -> int:
        return await recover_interrupted(self.pool, grace)
