"""Assessments in the offline tools: which records a replay scores its templates with (exported files
the auditor gives, or scoring's own export); the document's part is built with the rest of it
(evaluation.document)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from caseflow.config.assessments import load_templates
from caseflow.config.schemes import ConfigError
from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Record
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.assessments import read_records_file
from caseflow.evaluation.fed_terms import bound_to_schemes
from caseflow.replay.scoring_client import ScoringClient


def add_assessment_arguments(p: argparse.ArgumentParser, fetched: bool) -> None:
    more = (" (default: every template of the period, its records exported from scoring)" if fetched else
            "; repeat for more templates")
    p.add_argument("--assessments", type=Path, action="append", default=[], metavar="FILE",
                   help="an exported assessment records file (GET /v1/assessment-exports/TEMPLATE/PERIOD): the "
                        "template's totals are computed with the replayed indicators" + more)
    p.add_argument("--assessments-dir", type=Path, default=os.environ.get("CASEFLOW_ASSESSMENTS_DIR"),
                   help="the operators' own assessment templates; default: CASEFLOW_ASSESSMENTS_DIR")


def templates_of(args: argparse.Namespace, schemes: Mapping[str, Scheme]) -> dict[str, Template]:
    """The built-in and the operators' templates, checked and bound to the schemes as scoring binds them."""
    return bound_to_schemes(schemes, load_templates(args.assessments_dir))


def from_files(args: argparse.Namespace, period: str,
               schemes: Mapping[str, Scheme]) -> dict[str, tuple[Template, list[Record]]]:
    """The templates the given files are of, with their records (ConfigError names a wrong file)."""
    templates = templates_of(args, schemes) if args.assessments else {}
    given = [read_records_file(path, templates, period) for path in args.assessments]
    found = {template.id: (template, records) for template, records in given}
    for template, _ in given:
        missing = sorted(template.templates_scored() - set(found))
        if missing:
            raise ConfigError(f"template {template.id} scores template(s) {', '.join(missing)}: give their records "
                              f"too (--assessments FILE, exported by GET /v1/assessment-exports/{missing[0]}/{period})")
    return found


def with_scoring(args: argparse.Namespace, period: str, client: ScoringClient,
                 schemes: Mapping[str, Scheme], files: bool = True) -> dict[str, tuple[Template, list[Record]]]:
    """Every template that assesses the period: records from the files given (`files`), else scoring's
    export (a template scoring does not know has no records there)."""
    given = from_files(args, period, schemes) if files else {}
    found: dict[str, tuple[Template, list[Record]]] = {}
    for template in templates_of(args, schemes).values():
        if template.id in given or not template.applies_to(period):
            continue
        found[template.id] = (template, client.records(template.id, period))
    return {**found, **given}
