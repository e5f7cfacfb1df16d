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
