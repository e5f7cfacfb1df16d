"""What scoring's use cases need from storage. The PostgreSQL adapters are in `store/`; the service
tests use in-memory ones (tests/service)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from caseflow.contract.alert import AlertMessage
from caseflow.domain.alerts import Alert
from caseflow.domain.assessment_records import Change, Record
from caseflow.domain.exemption_requests import Application
from caseflow.domain.exemptions import Exemptions
from caseflow.domain.indicators import Period
from caseflow.domain.state import CaseState
from caseflow.evaluation.document import Applied, Refused

Outgoing = tuple[str, str, bytes, Mapping[str, object]]  # topic, key, value, headers


@dataclass(frozen=True)
class DueTimer:
    """A case whose alerts must be planned now, with the trace of the change that made it due and the
    case's facts (what the unit reading the alert needs)."""
    case_id: str
    version: int
    trace: dict[str, str]
    facts: dict[str, Any]


class AlertLedger(Protocol):
    """The deadline clock's state, inside one transaction: alerts raised (each id once, forever),
    each case's next timer, and the outbox the new alerts leave by."""

    async def record_raised(self, alerts: Sequence[Alert], bodies: Mapping[str, bytes]) -> set[str]:
        """Keep the alerts not raised before; returns the ids kept now."""

    async def set_timers(self, timers: Sequence[tuple[str, int | None]]) -> None:
        """Each case's next planning instant; None: nothing can fire any more."""

    async def make_due(self, cases: Sequence[tuple[str, Mapping[str, str]]], now: int) -> None:
        """These cases' timers are due at `now`, each with its change's trace headers."""

    async def due_timers(self, now: int, batch: int) -> list[DueTimer]:
        """Up to `batch` timers due by `now`, held by this transaction (other replicas skip them)."""

    async def states(self, versions: Sequence[tuple[str, int]]) -> dict[str, CaseState]:
        """The stored states of these (case, version) pairs."""

    async def enqueue(self, messages: Sequence[Outgoing]) -> None:
        """Queue messages for Kafka; they leave after the transaction commits."""


class AlertLedgers(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AlertLedger]:
        """One transaction: everything done through the ledger commits together or not at all."""

    async def seconds_to_next_timer(self) -> float: ...


class CaseReader(Protocol):
    async def with_facts(self, case_ids: Sequence[str]) -> dict[str, tuple[CaseState, dict[str, str]]]:
        """The cases' latest states and their facts (description, address, ...) for an alert's message."""
        ...

    def case_batches(self, period: Period) -> AsyncIterator[list[CaseState]]:
        """Every case with a fact inside the period, a batch at a time."""

    async def assigned_to(self, unit: str) -> list[CaseState]:
        """Every case that was ever assigned to the unit."""


class PeriodSources(Protocol):
    """What a period's document is computed from (period_numbers.py), all read on one connection when
    the adapter holds one."""

    def case_batches(self, period: Period, fresh: bool = False) -> AsyncIterator[list[CaseState]]:
        """Every case with a fact inside the period, a batch at a time (`fresh`: decoded anew, no cache)."""

    async def approved_exemptions(self, before: int) -> Exemptions: ...

    async def manual_inputs(self, period: str) -> dict[str, dict[str, float]]: ...

    async def records_of(self, template: str, period: str) -> list[Record]: ...

    async def applications_dispatched(self, start: int, end: int) -> list[Applied]: ...

    async def refused_by(self, as_of: int) -> list[Refused]: ...

    async def closed_month(self, period: str) -> dict[str, Any] | None:
        """The closed month's record (its stored document, who, when, the content hash), or None."""


class AssessmentRecords(Protocol):
    """Assessment records inside one transaction: a record held while it changes, and its changes kept."""

    async def get_for_update(self, record_id: str) -> Record | None: ...

    async def save(self, record: Record, changes: Sequence[Change]) -> None:
        """The record's new state, and the changes that made it (appended, never altered)."""

    async def period_closed(self, period: str) -> bool:
        """Whether the period's month is closed; until the transaction ends, closing it waits."""

    async def tell(self, notices: Sequence[AlertMessage]) -> None:
        """Queue notices to the assessed onto the alerts topic, sent after (and only if) this commits."""


class AssessmentBooks(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AssessmentRecords]: ...


class ExemptionLedger(Protocol):
    """Exemption applications, in one transaction."""

    async def get_for_update(self, application_id: str) -> Application | None: ...

    async def save(self, application: Application, changes: Sequence[Change]) -> None:
        """Insert or replace the application's state, and append its new changes."""

    async def open_for(self, application: Application) -> str | None:
        """The id of a pending or approved application for the same assignment and kind, if any."""

    async def assignments_of(self, case_id: str) -> list[tuple[str, int]]:
        """(unit, dispatched_at) of the case's assignments, as scoring holds the case."""

    async def period_closed(self, period: str) -> bool:
        """Whether the month is closed, holding it open (shared) until the transaction ends."""

    async def tell(self, notices: Sequence[AlertMessage]) -> None:
        """Queue notices to the unit onto the alerts topic, sent after (and only if) this commits."""


class ExemptionLedgers(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[ExemptionLedger]: ...


class Reminders(Protocol):
    """What the window reminders read, and telling each reminder once."""

    async def unappealed_findings(self, approved_since: int) -> list[Record]:
        """Findings approved since then that are still approved and not appealed."""

    async def applied(self, period: str) -> set[tuple[str, str, int]]:
        """(case, unit, dispatched_at) of the month's applications, pending or approved."""

    async def tell_once(self, notices: Sequence[AlertMessage]) -> int:
        """Queue those not told before (by alert_id) onto the alerts topic in one transaction; how many."""


class MonthLedger(Protocol):
    """A month being closed, in one transaction that holds its closing lock."""

    async def records_in(self, period: str) -> list[Record]: ...

    async def applications_dispatched(self, start: int, end: int) -> list[Applied]: ...

    async def insert_closed(self, period: str, canonical: bytes, digest: str, schemes: dict[str, str],
                            versions: str, source: str, who: str) -> dict[str, Any] | None:
        """The month as closed now; None if it was closed before (the first close stands)."""

    async def closed_month(self, period: str) -> dict[str, Any] | None: ...

    async def tell(self, notices: Sequence[AlertMessage]) -> None:
        """Queue notices onto the alerts topic, sent after (and only if) this commits."""

    async def publish(self, record: dict[str, Any]) -> None:
        """A city feeding a province: queue the closed month (document, content hash) onto the
        closed-months topic, sent after (and only if) this commits; elsewhere nothing."""


class MonthBook(Protocol):
    def closing(self, period: str) -> AbstractAsyncContextManager[MonthLedger]: ...

    async def closed_month(self, period: str) -> dict[str, Any] | None: ...


class CityMonths(Protocol):
    """The province's copy of what each city signed when it closed a month."""

    async def keep(self, city: str, period: str, content_hash: str, verified: bool, closed_at: str,
                   document: dict[str, Any]) -> bool:
        """Keep the city's month unless one is kept for that period already; whether it was kept now."""

    async def signed(self, period: str) -> dict[str, dict[str, Any]]:
        """city -> its signed month (content_hash, hash_verified, closed_at, received_at, document)."""
