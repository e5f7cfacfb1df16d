"""A scheme's manual term fed by an assessment template (issue #31): suning-2011's `other` (10 points,
部门评价 + 社会评价) is the unit's total in the `suning-2011-other` template, so grading the template
changes the scheme's score. A manual term's value is a share (0-1) times its weight, so the template
feeds its total as a share of its full marks (9 of 10 points: 0.9, 9 of the term's 10 points), for each
unit with an approved record in the template; for a unit without one the term is as entered (missing, if
nothing was)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from caseflow.config.assessments import schemes_named, scoring_order
from caseflow.config.schemes import ConfigError
from caseflow.config.units import Directory
from caseflow.domain.assessment import SCHEME_PREFIX, Template
from caseflow.domain.indicators import Indicators
from caseflow.domain.schemes import Scheme, score_units
from caseflow.evaluation.assessments import scored_in_order
from caseflow.evaluation.document import Assessed
from caseflow.evaluation.evaluate import Numbers


def check_references(schemes: Mapping[str, Scheme], templates: Mapping[str, Template]) -> None:
    """ConfigError unless every template a scheme's term is fed by, and every scheme a template item scores,
    is loaded (a unit-score scheme)."""
    unknown = fed_templates(schemes) - set(templates)
    if unknown:
        raise ConfigError(f"a scheme's manual_from names template(s) not loaded: {', '.join(sorted(unknown))} "
                          f"(templates: {', '.join(sorted(templates))})")
    for scheme_id, users in sorted(schemes_named(templates).items()):
        if scheme_id not in schemes or schemes[scheme_id].kind != "unit_score":
            known = ", ".join(sorted(s for s, v in schemes.items() if v.kind == "unit_score"))
            raise ConfigError(f"template(s) {', '.join(sorted(users))} score scheme {scheme_id!r}, not a unit-score "
                              f"scheme loaded (known: {known})")


def bound_to_schemes(schemes: Mapping[str, Scheme], templates: Mapping[str, Template]) -> dict[str, Template]:
    """The templates, references checked, each `points x scheme <id>` item scaled by that scheme's full
    marks (a unit at county-interim's best, 109, gets the item's whole points)."""
    check_references(schemes, templates)
    bound = {}
    for tid, template in templates.items():
        sections = tuple(replace(section, items=tuple(
            replace(item, threshold=replace(item.threshold, out_of=schemes[item.threshold.indicator[
                len(SCHEME_PREFIX):]].full_marks()))
            if item.threshold is not None and item.threshold.indicator.startswith(SCHEME_PREFIX) else item
            for item in section.items)) for section in template.sections)
        bound[tid] = replace(template, sections=sections)
    return bound


def fed_templates(schemes: Mapping[str, Scheme]) -> set[str]:
    """The templates some scheme's manual term is fed by."""
    return {t for s in schemes.values() for t in s.manual_from.values()}


def fed_inputs(indicators: Indicators, schemes: Mapping[str, Scheme], manual: Mapping[str, Mapping[str, float]] | None,
               assessed: Assessed | None) -> dict[str, dict[str, dict[str, float]]]:
    """For each scheme with a fed term and a feeding template in `assessed`: every unit's manual inputs with
    each fed term the unit's total in its template, as a share of the template's full marks."""
    fed = {sid: s for sid, s in schemes.items() if s.manual_from and s.kind == "unit_score"}
    if not fed or not assessed:
        return {}
    rows: dict[str, Any] = {"units": indicators.units, "regions": indicators.regions}
    feeding_ids = sorted({t for s in fed.values() for t in s.manual_from.values() if t in assessed})
    needed = scoring_order({t: template for t, (template, _) in assessed.items()}, feeding_ids)
    totals_of = scored_in_order({t: assessed[t] for t in needed}, rows)  # once, only what feeds a term
    out: dict[str, dict[str, dict[str, float]]] = {}
    for sid, scheme in fed.items():
        inputs = {unit: dict(values) for unit, values in (manual or {}).items()}
        feeding = False
        for term, template_id in scheme.manual_from.items():
            if template_id not in assessed:
                continue
            template, records = assessed[template_id]
            full = template.full_marks() or 1.0
            graded = {r.subject for r in records if r.counts}  # the others stay missing, as not yet entered
            for unit, scored in totals_of[template_id].items():
                if unit in graded:
                    inputs.setdefault(unit, {})[term] = min(1.0, max(0.0, scored.total / full))
            feeding = True
        if feeding:
            out[sid] = inputs
    return out


def with_fed_terms(numbers: Numbers, schemes: Mapping[str, Scheme], directory: Directory,
                   manual: Mapping[str, Mapping[str, float]] | None, assessed: Assessed | None) -> Numbers:
    """`numbers` with every scheme that has fed terms scored again, each fed term the unit's total in its
    template (a template not in `assessed` feeds nothing: the term stays as entered)."""
    indicators, scores, listings = numbers
    inputs = fed_inputs(indicators, schemes, manual, assessed)
    if not inputs:
        return numbers
    scores = dict(scores)
    for sid, fed in inputs.items():
        scores[sid] = score_units(schemes[sid], indicators.units, directory.unit_class, fed)
    return Numbers(indicators, scores, listings)
