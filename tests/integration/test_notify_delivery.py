"""Delivery to real local HTTP receivers on loopback: a receiver that verifies the HMAC signature, one
that fails with 500 then succeeds, a slow one, one that rate-limits with Retry-After, one that answers
410. Every attempt is recorded; a redelivered alert adds no delivery."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace

import httpx
import orjson
import pytest

from caseflow.domain.calendar import WorkingCalendar
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow_notify import consumers
from caseflow_notify.channels import Routing, parse_routing
from caseflow_notify.compose import DeliveryConfig
from caseflow_notify.deliver import deliver_due
from caseflow_notify.kinds.webhook import verify as verify_webhook
from caseflow_notify.retry import RetryPolicy
from caseflow_notify.store.rounds import PgRounds
from tests.support.receivers import serving

SECRET = "receiver-secret"


def config(routing: Routing, policy: RetryPolicy, window: timedelta = timedelta(seconds=5)) -> DeliveryConfig:
    return DeliveryConfig(routing, policy, WorkingCalendar(), window=window)



class Receivers:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.verified: list[bool] = []
        self.lock = threading.Lock()


@pytest.fixture
def receivers() -> Iterator[tuple[str, Receivers]]:
    state = Receivers()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.calls[self.path] += 1
                n = state.calls[self.path]
            code, headers = 200, {}
            if self.path == "/hmac":
                ok = verify_webhook(SECRET, self.headers.get("x-caseflow-signature", ""), body, int(time.time()))
                state.verified.append(ok)
                code = 200 if ok else 401
            elif self.path == "/flaky" and n == 1:
                code = 500
            elif self.path == "/slow" and n == 1:
                time.sleep(1.5)
            elif self.path == "/ratelimit" and n == 1:
                code, headers = 429, {"Retry-After": "1"}
            elif self.path == "/gone":
                code = 410
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", "0")
            self.end_headers()

    with serving(Handler) as base:
        yield base, state


def alert_record(alert_id: str, offset: int) -> SimpleNamespace:
    alert = {"alert_id": alert_id, "type": "overdue", "case_id": "C1", "unit": "U1", "level": 1,
             "due_at": "2026-11-03T11:30:00+08:00", "reason": "overdue level 1", "recipients": ["unit"]}
    return SimpleNamespace(value=orjson.dumps(alert), key=b"U1", headers=[], offset=offset)


async def test_deliveries_retry_give_up_and_record(settings: Settings, receivers: tuple[str, Receivers]) -> None:
    base, state = receivers
    paths = ["/hmac", "/flaky", "/slow", "/ratelimit", "/gone"]
    routing = parse_routing({"units": [{"id": "U1", "class": 1, "channels": [
        {"type": "webhook", "url": base + p, "secret": SECRET if p == "/hmac" else ""} for p in paths]}]})
    pool = await db.connect(settings.database_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await consumers.alerts(routing, None)(conn, [alert_record("A1", 0)])
        async with pool.acquire() as conn, conn.transaction():  # redelivered by Kafka after a crash
            await consumers.alerts(routing, None)(conn, [alert_record("A1", 0)])
        assert await pool.fetchval("SELECT count(*) FROM notify_inbox") == 1
        assert await pool.fetchval("SELECT count(*) FROM notify_deliveries") == len(paths)

        policy = RetryPolicy(first_delay=0.2, give_up_after=30)
        async with httpx.AsyncClient(timeout=0.5) as client:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                await deliver_due(PgRounds(pool), config(routing, policy), client, random.Random(1))
                if not await pool.fetchval("SELECT count(*) FROM notify_deliveries WHERE status = 'pending'"):
                    break
                await asyncio.sleep(0.1)
        rows = {r["receiver"]: r for r in await pool.fetch("SELECT * FROM notify_deliveries")}
        by_path = {p: rows[f"U1:unit:{i}"] for i, p in enumerate(paths)}
        assert {p: (r["status"], r["attempts"]) for p, r in by_path.items()} == {
            "/hmac": ("delivered", 1), "/flaky": ("delivered", 2), "/slow": ("delivered", 2),
            "/ratelimit": ("delivered", 2), "/gone": ("failed", 1)}
        assert state.verified == [True]
        attempts = await pool.fetch("SELECT receiver, attempt, status_code, error FROM notify_attempts ORDER BY id")
        assert len(attempts) == 8
        slow_first = next(a for a in attempts if a["receiver"] == "U1:unit:2" and a["attempt"] == 1)
        assert slow_first["status_code"] is None and "Timeout" in slow_first["error"]
        assert state.calls["/gone"] == 1  # a 410 is never retried
    finally:
        await pool.close()


async def test_grouping_window_and_silence(settings: Settings, receivers: tuple[str, Receivers]) -> None:
    base, state = receivers
    routing = parse_routing({"units": [{"id": "U1", "class": 1,
                                        "channels": [{"type": "webhook", "url": base + "/group"}]}]})
    window = timedelta(seconds=1.5)
    pool = await db.connect(settings.database_url)
    bodies: list[bytes] = []

    async def keep(request: httpx.Request) -> None:
        bodies.append(request.content)

    try:
        async with httpx.AsyncClient(timeout=2, event_hooks={"request": [keep]}) as client:
            async def round_() -> None:
                await deliver_due(PgRounds(pool), config(routing, RetryPolicy(), window), client, random.Random(1))

            async with pool.acquire() as conn, conn.transaction():
                await consumers.alerts(routing, None)(conn, [alert_record("G1", 0)])
            await round_()
            assert state.calls["/group"] == 1  # the first alert goes at once
            async with pool.acquire() as conn, conn.transaction():
                await consumers.alerts(routing, None)(conn, [alert_record("G2", 1), alert_record("G3", 2)])
            await round_()
            assert state.calls["/group"] == 1  # within the window: held
            await asyncio.sleep(1.6)
            await round_()
            assert state.calls["/group"] == 2  # together, one message
            assert [a["alert_id"] for a in orjson.loads(bodies[-1])["alerts"]] == ["G2", "G3"]

            await pool.execute("INSERT INTO notify_silences (unit, case_id, until, created_by, reason) "
                               "VALUES ('U1', 'C1', now() + interval '1 hour', 'operator', 'on site already')")
            async with pool.acquire() as conn, conn.transaction():
                await consumers.alerts(routing, None)(conn, [alert_record("G4", 3)])
            await asyncio.sleep(1.6)
            await round_()
            assert state.calls["/group"] == 2
            assert await pool.fetchval("SELECT status FROM notify_deliveries WHERE alert_id = 'G4'") == "silenced"
    finally:
        await pool.close()
