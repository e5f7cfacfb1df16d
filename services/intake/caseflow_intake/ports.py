"""What intake needs from the outside world: somewhere to publish events, and a memory of ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class EventBus(Protocol):
    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        """Publish (case_id, raw event) pairs keyed by case; returns once the broker acknowledged all."""

    async def dead_letter(self, rejected: Sequence[tuple[bytes, dict[str, str]]]) -> None:
        """Keep rejected messages (raw bytes, reason headers) on the dead-letter topic; acknowledged."""


class AcceptedIds(Protocol):
    async def known(self, event_ids: Sequence[str]) -> set[str]: ...

    async def remember(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Record (event_id, case_id) pairs as accepted."""
