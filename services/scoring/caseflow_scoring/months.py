"""Closed months: an audited period document frozen with its content hash and the versions behind it.

Closing checks, on the server, that the submitted (replayed) document equals what scoring computes
live and that both sides used the same schemes; afterwards the stored document is what the period
API serves, whatever later changes to configuration or code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, Field

from caseflow.contract.alert import AlertMessage
from caseflow.domain.assessment_records import Record
from caseflow.evaluation.assessments import awaiting, frozen_record
from caseflow.evaluation.document import Applied, exemptions_part
from caseflow.evaluation.periods import month_bounds, shift_month
from caseflow_scoring.ports import MonthBook


class CloseRequest(BaseModel):
    document: dict[str, Any] = Field(description="the replayed period document (`caseflow replay --format json`)")
    scheme_versions: dict[str, str] = Field(description="scheme id -> fingerprint used by the replay")
    replay_code_version: str = Field(max_length=200)
    source: str = Field(max_length=500, description="where the replay read its events")


class CloseRefused(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status, self.detail = status, detail


CANONICAL_KEYS = ("period", "units", "regions", "listings", "assessments", "exemptions")


def canonical(document: dict[str, Any]) -> bytes:
    """The frozen part of a period document (months closed before listings, assessments or exemptions
    existed have none of them; a month without exemption applications has no `exemptions` part)."""
    kept = {k: document[k] for k in CANONICAL_KEYS if k in document and (k != "exemptions" or document[k])}
    return orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)


def content_hash(document: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(document)).hexdigest()


Bulletins = Callable[[dict[str, Any], dict[str, Any] | None], list[AlertMessage]]
"""(the closed document, the previous month's closed document or None) -> the month's 通报 (bulletins.py)."""


async def close_month(book: MonthBook, period: str, body: CloseRequest, live: dict[str, Any],
                      schemes_live: dict[str, str], code_version: str, who: str,
                      bulletins: Bulletins | None = None) -> dict[str, Any]:
    """Freeze the month; its 通报 is queued in the same transaction, so it goes once, and only if it closed."""
    if body.scheme_versions != schemes_live:
        differing = sorted(k for k in set(body.scheme_versions) | set(schemes_live)
                           if body.scheme_versions.get(k) != schemes_live.get(k))
        raise CloseRefused(409, {"error": "scheme versions differ between the replay and scoring",
                                 "schemes": differing})
    if canonical(body.document) != canonical(live):
        raise CloseRefused(409, {"error": "the replayed document differs from scoring's live numbers; "
                                          "run `caseflow audit` to see where"})
    digest = content_hash(body.document)
    versions = f"scoring {code_version}; replay {body.replay_code_version}"
    async with book.closing(period) as ledger:
        _check_records(await ledger.records_in(period), body.document)
        start, end = month_bounds(period)
        _check_exemptions(period, await ledger.applications_dispatched(start, end), body.document)
        record = await ledger.insert_closed(period, canonical(body.document), digest, schemes_live, versions,
                                            body.source, who)
        if record is not None and bulletins is not None:
            before = await ledger.closed_month(shift_month(period, -1))
            await ledger.tell(bulletins(record["document"], before["document"] if before else None))
        if record is not None:
            await ledger.publish(record)
    if record is None:
        existing = await book.closed_month(period)
        raise CloseRefused(409, {"error": f"{period} is already closed", "closed": _summary(existing)})
    return record


def _check_records(records: list[Record], document: dict[str, Any]) -> None:
    """Nothing waits for a decision, and the records are still those the replay was given (checked
    under the closing lock, so none changes between this check and the month's row)."""
    waiting = awaiting(records)
    if waiting:
        raise CloseRefused(409, {"error": "assessment records wait for a decision (submit, verify, approve, "
                                          "or decide the appeal) before the month closes", "records": waiting})
    now: dict[str, dict[str, Any]] = {}
    for r in records:
        now.setdefault(r.template, {})[r.id] = frozen_record(r)
    sent = {t: s.get("records", {}) for t, s in (document.get("assessments") or {}).items()}
    changed = sorted(t for t in set(now) | set(sent) if now.get(t, {}) != sent.get(t, {}))
    if changed:
        raise CloseRefused(409, {"error": "assessment records changed since the replay read them; run "
                                          "close-month again", "templates": changed})


def _check_exemptions(period: str, applied: list[Applied], document: dict[str, Any]) -> None:
    """No application waits for a decision, and they are those the replay applied (under the closing lock)."""
    waiting = sorted(a.id for a in applied if a.status == "pending")
    if waiting:
        raise CloseRefused(409, {"error": "exemption applications wait for a decision (approve or reject) before "
                                          "the month closes", "exemptions": waiting})
    now = exemptions_part(applied, *month_bounds(period))
    sent = document.get("exemptions") or {}
    changed = sorted(k for k in set(now) | set(sent) if now.get(k) != sent.get(k))
    if changed:
        raise CloseRefused(409, {"error": "exemption applications changed since the replay read them (or the "
                                          "replay was given others); run close-month again", "exemptions": changed})


def _summary(record: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None else {k: v for k, v in record.items() if k != "document"}


def served(record: dict[str, Any]) -> dict[str, Any]:
    """The stored document as the period API serves it, with where it came from."""
    return {**record["document"], "closed": _summary(record)}
