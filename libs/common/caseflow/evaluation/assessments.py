"""Assessment totals for a period, shared by scoring (records in PostgreSQL) and replay (an exported
records file, so an auditor recomputes without the database): each unit's or region's template score
from its indicators and the records that count (docs/rules.md §10)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from caseflow.config.schemes import ConfigError
from caseflow.domain.assessment import Scored, Template, score
from caseflow.domain.assessment_records import Record, inputs_of


class RecordsFile(msgspec.Struct):
    """What scoring exports (`GET /v1/assessment-exports/{template}/{period}`) and replay reads."""
    template: str
    period: str
    records: list[Record]
    exported_at: str = ""


def totals(template: Template, indicators: Mapping[str, Mapping[str, Any]],
           records: Sequence[Record]) -> dict[str, Scored]:
    """Each subject's score: every subject with indicators, and any with records."""
    subjects = sorted(set(indicators) | {r.subject for r in records})
    out = {}
    for subject in subjects:
        findings, grades, bonuses = inputs_of([r for r in records if r.subject == subject])
        out[subject] = score(template, indicators.get(subject, {}), findings, grades, bonuses)
    return out


def subjects_of(template: Template, document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The indicator rows a template assesses, from a period document (units, regions or both)."""
    if template.assessed == "units":
        return dict(document["units"])
    if template.assessed == "regions":
        return dict(document["regions"])
    return {**document["units"], **document["regions"]}


def as_json(scored: Mapping[str, Scored]) -> dict[str, Any]:
    return {subject: {"total": s.total, "bonus": s.bonus, "sections": s.sections,
                      "items": {item: points.points for item, points in s.items.items()}}
            for subject, s in scored.items()}


AWAITING = ("submitted", "verified")  # a record in these states waits for an assessor's or approver's decision


def frozen_record(record: Record) -> dict[str, Any]:
    """What a period document keeps of a record: what it says and where it stands, with its files'
    hashes (the history stays in scoring; its outcome is here)."""
    appeal = record.appeal
    return {"subject": record.subject, "item": record.item, "kind": record.kind, "status": record.status,
            "counts": record.counts, "points": record.points, "deduction": record.deduction,
            "occurrences": record.occurrences, "evidence": record.evidence, "files": sorted(record.files),
            "appeal": None if appeal is None else {"status": appeal.status, "files": sorted(appeal.files)}}


def assessment_section(template: Template, document: Mapping[str, Any], records: Sequence[Record]) -> dict[str, Any]:
    """A template's part of a period document (key `assessments.<template>`): who it assesses, every
    subject's total, sections and items, and every record of the period as it stands."""
    return {"on": template.assessed, "totals": as_json(totals(template, subjects_of(template, document), records)),
            "records": {r.id: frozen_record(r) for r in sorted(records, key=lambda r: r.id)}}


def awaiting(records: Sequence[Record]) -> list[str]:
    """Records that still wait for a decision (submitted, verified, or an appeal not yet decided)."""
    return [r.id for r in records
            if r.status in AWAITING or (r.appeal is not None and r.appeal.status == "open")]


def read_records_file(path: Path, templates: Mapping[str, Template], period: str) -> tuple[Template, list[Record]]:
    """An exported records file, checked: readable, for a known template and for this period."""
    try:
        found = msgspec.json.decode(path.read_bytes(), type=RecordsFile)
    except OSError as exc:
        raise ConfigError(f"cannot read --assessments {path}: {exc.strerror}") from exc
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: not an exported assessment records file ({exc}); export it with "
                          "GET /v1/assessment-exports/{template}/{period}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc})") from exc
    if found.template not in templates:
        known = ", ".join(sorted(templates))
        raise ConfigError(f"{path}: template {found.template!r} is not known here; known: {known} "
                          "(give the operators' own with --assessments-dir)")
    if found.period != period:
        raise ConfigError(f"{path}: records of {found.period}, but the replay is of {period}")
    return templates[found.template], found.records
