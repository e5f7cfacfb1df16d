"""A connection pool that says what it is doing: how long each purpose waited for a connection, who
holds the connections while someone waits, and any task that asks for a second connection while it
holds one (the shape of the failover stall of issue #36: the deadline clock held its timer rows and
waited for a second connection that the consumer, blocked on those rows, would never give back).

The purpose of a use is the `db_purpose` context variable when set (`using("deadline-clock")`), else
the asyncio task's name; services name their long-running tasks, so a log line reads
"deadline-clock waited 4.0 s for a 'work' connection; held by consumer 61 s, outbox-relay 300 s".
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from caseflow.infra.metrics import DB_NESTED_ACQUIRES, DB_POOL_WAIT_SECONDS, DB_WAITS_NOW

log = logging.getLogger(__name__)
db_purpose: contextvars.ContextVar[str | None] = contextvars.ContextVar("db_purpose", default=None)
WARN_AFTER = 3.0  # a wait longer than this is logged (and again every REPEAT_EVERY while it lasts)
REPEAT_EVERY = 10.0
T = TypeVar("T")


@contextlib.contextmanager
def using(purpose: str) -> Iterator[None]:
    """Name what the connections taken inside this block are for."""
    token = db_purpose.set(purpose)
    try:
        yield
    finally:
        db_purpose.reset(token)


async def as_purpose(name: str, work: Awaitable[T]) -> T:
    """Await `work` with its connections named `name` (for tasks that gather several loops)."""
    with using(name):
        return await work


def purpose() -> str:
    named = db_purpose.get()
    if named:
        return named
    task = asyncio.current_task()
    return task.get_name() if task is not None else "main"


@dataclass
class Holding:
    purpose: str
    since: float
    task: asyncio.Task[Any] | None
    pid: int


class WatchedPool(asyncpg.Pool):
    """asyncpg's pool with every acquisition timed and its holders known (`holders()`, by backend pid
    for the lock watch). Build it with `watched_pool`."""

    service = ""
    name = ""
    url = ""

    def _watch_init(self, url: str, service: str, name: str) -> None:
        self.url, self.service, self.name = url, service, name
        self._holding: dict[int, Holding] = {}  # id(proxy) -> holding

    def holders(self) -> list[Holding]:
        return sorted(self._holding.values(), key=lambda h: h.since)

    def by_pid(self) -> dict[int, Holding]:
        return {h.pid: h for h in self._holding.values()}

    def describe_holders(self, now: float | None = None) -> str:
        at = time.monotonic() if now is None else now
        held = ", ".join(f"{h.purpose} {at - h.since:.0f} s" for h in self.holders())
        return f"{len(self._holding)} of {self.get_max_size()} in use" + (f": {held}" if held else "")

    async def _acquire(self, timeout: float | None) -> Any:
        me, task, started = purpose(), asyncio.current_task(), time.monotonic()
        if task is not None and any(h.task is task for h in self._holding.values()):
            DB_NESTED_ACQUIRES.labels(self.service, self.name, me).inc()
            log.warning("%s: %s asks for a second %r connection while holding one (a small pool can deadlock "
                        "this way)", self.service, me, self.name)
        waiter = asyncio.ensure_future(super()._acquire(timeout))
        waits = DB_WAITS_NOW.labels(self.service, f"pool:{self.name}")
        long_wait = False
        try:
            patience = WARN_AFTER
            while not (await asyncio.wait({waiter}, timeout=patience))[0]:
                if not long_wait:
                    long_wait = True
                    waits.inc()
                log.warning("%s: %s has waited %.1f s for a %r connection; %s", self.service, me,
                            time.monotonic() - started, self.name, self.describe_holders())
                patience = REPEAT_EVERY
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                await super().release(waiter.result())
            else:
                waiter.cancel()
            raise
        finally:
            if long_wait:
                waits.dec()
        proxy = waiter.result()
        DB_POOL_WAIT_SECONDS.labels(self.service, self.name, me).observe(time.monotonic() - started)
        self._holding[id(proxy)] = Holding(me, time.monotonic(), task, proxy.get_server_pid())
        return proxy

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        self._holding.pop(id(connection), None)
        await super().release(connection, timeout=timeout)


async def watched_pool(url: str, size: int, service: str, name: str, **options: Any) -> WatchedPool:
    """Like asyncpg.create_pool (min_size 1), with the backends named after the service in
    pg_stat_activity (`application_name`), so a blocking backend is recognisable in the lock watch's lines."""
    named = service if service.startswith("caseflow") else f"caseflow-{service}"
    settings = {**options.pop("server_settings", {}), "application_name": named[:63]}
    pool = WatchedPool(url, min_size=1, max_size=size, max_queries=50000, max_inactive_connection_lifetime=300.0,
                       connection_class=asyncpg.Connection, record_class=asyncpg.Record, init_size=1,
                       loop=None, connect=None, setup=None, init=None, reset=None, server_settings=settings,
                       **options)
    pool._watch_init(url, service, name)
    await pool
    return pool
