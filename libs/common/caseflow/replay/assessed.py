"""Assessments in the offline tools: which records a replay scores its templates with (exported files
the auditor gives, or scoring's own export), and the period document's `assessments` part from them."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from caseflow.config.assessments import load_templates
from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Record
from caseflow.evaluation.assessments import assessment_section, read_records_file
from caseflow.replay.scoring_client import ScoringClient

Assessed = dict[str, tuple[Template, list[Record]]]  # template id -> (template, the period's records)


def add_assessment_arguments(p: argparse.ArgumentParser, fetched: bool) -> None:
    more = (" (default: every template of the period, its records exported from scoring)" if fetched else
            "; repeat for more templates")
    p.add_argument("--assessments", type=Path, action="append", default=[], metavar="FILE",
                   help="an exported assessment records file (GET /v1/assessment-exports/TEMPLATE/PERIOD): the "
                        "template's totals are computed with the replayed indicators" + more)
    p.add_argument("--assessments-dir", type=Path, default=os.environ.get("CASEFLOW_ASSESSMENTS_DIR"),
                   help="the operators' own assessment templates; default: CASEFLOW_ASSESSMENTS_DIR")


def from_files(args: argparse.Namespace, period: str) -> Assessed:
    """The templates the given files are of, with their records (ConfigError names a wrong file)."""
    templates = load_templates(args.assessments_dir) if args.assessments else {}
    given = [read_records_file(path, templates, period) for path in args.assessments]
    return {template.id: (template, records) for template, records in given}


def with_scoring(args: argparse.Namespace, period: str, client: ScoringClient) -> Assessed:
    """Every template that assesses the period: records from the files given, else scoring's export
    (a template scoring does not know has no records there)."""
    given = from_files(args, period)
    found: Assessed = {}
    for template in load_templates(args.assessments_dir).values():
        if template.id in given or not template.applies_to(period):
            continue
        found[template.id] = (template, client.records(template.id, period))
    return {**found, **given}


def add_to(document: dict[str, Any], assessed: Mapping[str, tuple[Template, Sequence[Record]]],
           unit_class: Mapping[str, int]) -> dict[str, Any]:
    """The document with each template's part (totals from the document's indicators, the records;
    `unit_class` for templates that rank units within their class)."""
    if assessed:
        document["assessments"] = {t: assessment_section(template, document, records, unit_class)
                                   for t, (template, records) in sorted(assessed.items())}
    return document
