"""What intake needs from the outside world: somewhere to publish events, and a memory of ids."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class EventBus(Protocol):
    async def publish(self, events: Sequence[tuple[str, bytes]]) -> None:
        """Publish (case_id, raw event) pairs keyed by case; returns once the broker acknowledged all."""

    async def dead_letter(self, rejected: Sequence[tuple[bytes, dict[str, str]]]) -> None:
        """Keep rejected messages (raw bytes, reason headers) on the dead-letter topic; acknowledged."""


class AcceptedIds(Protocol):
    def claim(self, pairs: Sequence[tuple[str, str]]) -> AbstractAsyncContextManager[set[str]]:
        """Claim the (event_id, case_id) pairs not accepted before: yields the ids claimed now. They count
        as accepted when the block ends; if it raises, none do. A claim of the same id elsewhere (another
        replica) meanwhile waits for this one, then finds the id taken."""


class CityRejections(Protocol):
    def keep(self, city: str, rejected: Sequence[tuple[str, bytes, str, str]]
             ) -> AbstractAsyncContextManager[set[str]]:
        """Keep (digest, raw, field, reason) records a city's feed carried and the province refused; yields
        the digests not kept before (MirrorMaker 2 may send a record again). They count as kept when the
        block ends; if it raises, none do."""
