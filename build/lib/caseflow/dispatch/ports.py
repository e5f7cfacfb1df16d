"""What dispatch needs from storage: one unit of work per consumed batch (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from caseflow.domain.lifecycle import Rejection
from caseflow.domain.state import CaseState


class CaseStore(Protocol):
    async def is_known(self, event_id: str) -> bool: ...

    async def events_of(self, case_id: str) -> list[tuple[int, bytes]]:
        """(arrival, raw) of every stored event of the case, in arrival order."""

    async def append(self, case_id: str, arrival: int, event_id: str, raw: bytes) -> None: ...

    async def save_snapshot(self, state: CaseState) -> bytes:
        """Store the case's new state under the next version; returns the snapshot message to publish."""

    async def set_rejections(self, case_id: str, rejections: Sequence[Rejection]) -> None: ...

    async def emit(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        """Queue a message in the outbox (sent to Kafka after the transaction commits)."""
