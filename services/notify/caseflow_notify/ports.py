"""What notify's use cases need from storage, inside one transaction: the delivery queue, the robots'
shared rate limits and the inbox. The PostgreSQL adapters are in `store/`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from caseflow_notify.grouping import Silence

Row = Any  # a delivery row: alert_id, receiver, unit, case_id, channel_type, attempts, first_try_at, body …


@dataclass(frozen=True)
class Slots:
    ids: tuple[int, ...]  # one reserved send per message that may go now
    free_at: datetime | None  # when the next slot frees, if fewer were granted than asked


@dataclass(frozen=True)
class Attempt:
    """One request's answer, as recorded for each delivery it carried."""
    status_code: int | None
    error: str
    latency_ms: float
    vendor_code: int | None
    vendor_message: str
    message_bytes: int


class DeliveryQueue(Protocol):
    async def fresh_due(self, batch: int) -> list[Row]: ...
    async def late_receivers(self) -> list[Row]:
        """Receivers with catch-up deliveries due (`receiver`, `last_digest_at`)."""
    async def late_due(self, receiver: str) -> list[Row]: ...
    async def last_sent(self, receivers: list[str]) -> dict[str, datetime]: ...
    async def silences(self, units: list[str]) -> list[Silence]: ...
    async def still_overdue(self, cases: list[str]) -> set[str]:
        """Of these cases, those with an overdue alert and no `resolved` one yet."""
    async def digest_sent(self, receiver: str) -> None: ...
    async def mark_sending(self, keys: list[tuple[str, str]]) -> None:
        """Committed before the requests: a crash during one leaves `sending`, never a silent resend."""
    async def finish(self, rows: Sequence[Row], status: str, error: str = "") -> None: ...
    async def defer(self, rows: Sequence[Row], until: datetime | None) -> None:
        """Pending again at `until` (no attempt was made)."""
    async def record_attempt(self, row: Row, attempt: int, answer: Attempt, status: str, delay: float | None,
                             solo: bool, held_until: datetime | None) -> None:
        """Keep the attempt; the delivery becomes `status`, tried again after `delay` s or `held_until`."""
    async def sent_to(self, receivers: set[str]) -> None:
        """These receivers were sent a message now."""


class RobotSlots(Protocol):
    async def take(self, robot: str, wanted: int, per_minute: int, margin: float = 2.0,
                   keep_free: int = 0, per_second: int | None = None) -> Slots: ...
    async def sent(self, ids: list[int]) -> None: ...
    async def throttled(self, robot: str, seconds: float, code: int | None, message: str) -> datetime: ...
    async def idle(self, robots: set[str], busy_from: int = 10) -> set[str]: ...


class Inbox(Protocol):
    async def add(self, rows: Sequence[tuple[str, str, str, str, str]]) -> set[str]:
        """Store (alert_id, unit, case_id, body, traceparent) rows once per id; returns the new ids."""
    async def receivers_of(self, cases: list[str]) -> dict[str, list[str]]:
        """Every receiver that was sent an alert of each case."""
    async def queue(self, deliveries: Sequence[tuple[str, str, str, str, str, bool]]) -> None:
        """(alert_id, receiver, unit, case_id, channel_type, catch_up) into the delivery queue, once."""
    async def unacknowledged_overdue(self, delay: timedelta) -> list[Row]:
        """Level-1 overdue alerts older than `delay`, neither acknowledged nor escalated (`alert_id`,
        `body`, `late`), held by this transaction."""
    async def escalated(self, pairs: Sequence[tuple[str, str]]) -> None:
        """(alert_id, escalated_id) pairs: escalated, never again."""


class Round(Protocol):
    """One transaction's worth of notify's storage."""
    @property
    def queue(self) -> DeliveryQueue: ...
    @property
    def robots(self) -> RobotSlots: ...
    @property
    def inbox(self) -> Inbox: ...


class Rounds(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Round]: ...
    async def recover_interrupted(self, grace: timedelta) -> int:
        """Deliveries left `sending` by a process that died mid-request go out again after `grace`."""
