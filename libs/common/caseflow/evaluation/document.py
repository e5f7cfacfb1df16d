"""The one period document (rules §9): what `caseflow replay` prints, scoring's period API serves, the
standing indicators keep, audit and close-month compare and the fault scenario checks. Built here and
nowhere else, from the period's numbers, the events refused by its as-of and, when assessed, each
assessment template with its records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Record
from caseflow.domain.indicator_keys import UNIT_COUNTS, UNIT_RATES
from caseflow.domain.indicators import Period
from caseflow.evaluation.assessments import assessment_parts
from caseflow.evaluation.evaluate import Numbers
from caseflow.instants import iso

Assessed = Mapping[str, tuple[Template, Sequence[Record]]]  # template id -> (template, the period's records)


class Applied(NamedTuple):
    """An exemption application (rules §4a), as scoring keeps it or its export lists it."""

    id: str
    case_id: str
    unit_id: str
    dispatched_at: int  # epoch ms
    kind: str
    status: str  # approved | rejected | pending
    reason: str = ""
    files: tuple[str, ...] = ()  # evidence hashes (frozen with a closed month)
    decided_by: str = ""
    decision: str = ""  # the command centre's reason


class Refused(NamedTuple):
    """An event the rules refused (dispatch's dead letter; replay's rejection)."""

    event_id: str
    case_id: str
    at: int  # its occurred_at, epoch ms
    reason: str
    detail: str


class InvalidLine(NamedTuple):
    """A line of an input file that is not contract v1 (replay only: live, intake refused it)."""

    event_id: str | None
    case_id: str | None
    line: int  # 1-based
    detail: str


def period_document(period: Period, numbers: Numbers, refused: Iterable[Refused] = (),
                    invalid: Iterable[InvalidLine] = (), assessed: Assessed | None = None,
                    unit_class: Mapping[str, int] | None = None,
                    applied: Iterable[Applied] | None = None) -> dict[str, Any]:
    """The period's document. `refused` in any order (listed by instant, then id, as rules §9 says);
    `assessed` None leaves the `assessments` part out (a replay given no records), else one part per
    template, its totals scored on this document's indicators (`unit_class` for templates that rank
    within a class). `applied`: the exemption applications (None leaves the `exemptions` part out);
    those of assignments dispatched in the period are listed, by id."""
    document = numbers_document(period, numbers)
    document["rejected"] = [
        {"event_id": r.event_id, "case_id": r.case_id, "occurred_at": iso(r.at), "reason": r.reason,
         "detail": r.detail} for r in sorted(refused, key=lambda r: (r.at, r.event_id))]
    document["rejected"] += [
        {"event_id": i.event_id, "case_id": i.case_id, "line": i.line, "reason": "invalid", "detail": i.detail}
        for i in sorted(invalid, key=lambda i: i.line)]
    if assessed is not None:
        document["assessments"] = assessment_parts(assessed, document, unit_class or {})
    if applied is not None:
        document["exemptions"] = exemptions_part(applied, period.start, period.end)
    return document


def exemptions_part(applied: Iterable[Applied], start: int, end: int) -> dict[str, Any]:
    """The applications for assignments dispatched in [start, end), by id, as the document lists them."""
    return {a.id: {"case_id": a.case_id, "unit_id": a.unit_id, "dispatched_at": iso(a.dispatched_at), "kind": a.kind,
                   "status": a.status, "reason": a.reason, "files": list(a.files), "decided_by": a.decided_by,
                   "decision": a.decision}
            for a in sorted(applied, key=lambda a: a.id) if start <= a.dispatched_at < end}


def numbers_document(period: Period, numbers: Numbers) -> dict[str, Any]:
    """The numbers part alone (period, units with their scores, regions, listings): what live scoring
    and replay must agree on whatever else either knows."""
    indicators, scores, listings = numbers
    units: dict[str, Any] = {}
    for unit, row in sorted(indicators.units.items()):
        entry: dict[str, Any] = {k: row[k] for k in (*UNIT_COUNTS, *UNIT_RATES)}
        entry["scores"] = {scheme: by_unit[unit] for scheme, by_unit in sorted(scores.items())}
        units[unit] = entry
    return {
        "period": {"start": iso(period.start), "end": iso(period.end), "as_of": iso(period.as_of)},
        "units": units,
        "regions": {r: indicators.regions[r] for r in sorted(indicators.regions)},
        "listings": listings,
    }
