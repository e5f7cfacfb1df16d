"""Assessment totals for a period, shared by scoring (records in PostgreSQL) and replay (an exported
records file, so an auditor recomputes without the database): each unit's or region's template score
from its indicators and the records that count (docs/rules.md §10)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from caseflow.config.assessments import scoring_order
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


def ranks(template: Template, scored: Mapping[str, Scored], units: Collection[str],
          unit_class: Mapping[str, int]) -> dict[str, int]:
    """Highest total first; equal totals share a rank (1, 2, 2, 4). Units and regions are ranked apart,
    units within their class when the template says `rank_within: class`."""
    groups: dict[tuple[str, int | None], list[tuple[float, str]]] = defaultdict(list)
    for subject, s in scored.items():
        is_unit = template.assessed == "units" or (template.assessed == "both" and subject in units)
        by_class = unit_class.get(subject) if is_unit and template.rank_within == "class" else None
        groups[("unit" if is_unit else "region", by_class)].append((round(s.total, 9), subject))
    out: dict[str, int] = {}
    for members in groups.values():
        members.sort(key=lambda m: (-m[0], m[1]))
        for i, (total, subject) in enumerate(members):
            out[subject] = out[members[i - 1][1]] if i and total == members[i - 1][0] else i + 1
    return out


def as_json(scored: Mapping[str, Scored], ranked: Mapping[str, int] | None = None) -> dict[str, Any]:
    return {subject: {"total": s.total, "bonus": s.bonus, "sections": s.sections,
                      "items": {item: points.points for item, points in s.items.items()},
                      **({"rank": ranked[subject]} if ranked is not None else {})}
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


def scored_in_order(assessed: Mapping[str, tuple[Template, Sequence[Record]]],
                    document: Mapping[str, Any]) -> dict[str, dict[str, Scored]]:
    """Every template's totals, each scored after the templates it scores (`points x template <id>`), whose
    totals its subjects' rows carry under `templates` as shares of their full marks. A template scored by
    one in `assessed` must be there too (ConfigError names it)."""
    templates = {tid: template for tid, (template, _) in assessed.items()}
    missing = {used for t in templates.values() for used in t.templates_scored()} - set(templates)
    if missing:
        raise ConfigError(f"template(s) {', '.join(sorted(missing))} are scored by another template and must be "
                          "scored with it: give their records too (replay: --assessments FILE for each)")
    shares: dict[str, dict[str, float]] = defaultdict(dict)  # subject -> template -> share of full marks
    out: dict[str, dict[str, Scored]] = {}
    for tid in scoring_order(templates, sorted(templates)):
        template, records = assessed[tid]
        rows = subjects_of(template, document)
        if template.templates_scored():
            rows = {subject: {**row, "templates": dict(shares.get(subject, {}))} for subject, row in rows.items()}
        out[tid] = totals(template, rows, records)
        full = template.full_marks() or 1.0
        for subject, scored in out[tid].items():
            shares[subject][tid] = scored.total / full
    return out


def assessment_parts(assessed: Mapping[str, tuple[Template, Sequence[Record]]], document: Mapping[str, Any],
                     unit_class: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Each template's part of a period document (key `assessments.<template>`): who it assesses, every
    subject's total, sections, items and rank, and every record of the period as it stands."""
    scored = scored_in_order(assessed, document)
    return {tid: {"on": template.assessed, "rank_within": template.rank_within,
                  "totals": as_json(scored[tid], ranks(template, scored[tid], document["units"], unit_class)),
                  "records": {r.id: frozen_record(r) for r in sorted(records, key=lambda r: r.id)}}
            for tid, (template, records) in sorted(assessed.items())}


def ranked_rows(part: Mapping[str, Any], names: Mapping[str, str],
                unit_class: Mapping[str, int]) -> list[dict[str, Any]]:
    """A template's totals as ranked rows (by class first when it ranks within classes)."""
    by_class = part.get("rank_within") == "class"
    rows = [{"rank": v["rank"], "subject": s, "name": names.get(s, s), "class": unit_class.get(s),
             "total": v["total"], "bonus": v["bonus"], "sections": v["sections"]} for s, v in part["totals"].items()]
    return sorted(rows, key=lambda r: ((r["class"] or 99) if by_class else 0, r["rank"], r["subject"]))


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
