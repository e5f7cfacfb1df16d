"""What dispatch needs from storage: one unit of work per consumed batch (one transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from caseflow.domain.lifecycle import Rejection
from caseflow.domain.state import CaseState

Outgoing = tuple[str, str, bytes, dict[str, str]]  # topic, key, value, headers


class CaseStore(Protocol):
    async def known_ids(self, event_ids: Sequence[str]) -> set[str]: ...

    async def events_of(self, case_ids: Sequence[str]) -> dict[str, list[tuple[int, bytes]]]:
        """(arrival, raw) of every stored event of each case, in arrival order."""

    async def append(self, rows: Sequence[tuple[str, int, str, bytes]]) -> None:
        """Store (case_id, arrival, event_id, raw) rows."""

    async def save_snapshots(self, states: Sequence[CaseState], facts: Mapping[str, dict[str, str]]) -> list[bytes]:
        """Store each case's new state under its next version, with its facts (contract.facts) when
        known; returns the snapshot messages to publish."""

    async def set_rejections(self, rejections: Mapping[str, Sequence[Rejection]]) -> None:
        """Replace the rejections of each given case."""

    async def emit(self, messages: Sequence[Outgoing]) -> None:
        """Queue messages in the outbox (sent to Kafka after the transaction commits)."""
