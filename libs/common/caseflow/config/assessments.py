"""Assessment template files (YAML): the built-in ones shipped with the package (config/assessments/),
plus a user's own folder (a template of the same id replaces a built-in one). A wrong file is refused
at load with the file, the item and the reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from caseflow.config.schemes import ConfigError
from caseflow.domain.assessment import (
    DEDUCTION_KINDS,
    PERIOD_KINDS,
    SCHEME_PREFIX,
    SCORINGS,
    TEMPLATE_PREFIX,
    THRESHOLD_MODES,
    Deduction,
    Item,
    Section,
    Template,
    Threshold,
)
from caseflow.domain.indicator_keys import REGION_KEYS, UNIT_COUNTS, UNIT_RATES

_RULE = re.compile(r"^\s*([a-z_]+)\s*>=\s*([0-9]+(?:\.[0-9]+)?)(%?)\s*$")
_TIMES = re.compile(r"^\s*points\s*[x×*]\s*([a-z_]+)\s*$")  # the item's points times a rate
_SCHEME = re.compile(r"^\s*points\s*[x×*]\s*scheme\s+([A-Za-z0-9_.-]+)\s*$")  # times a scheme's score / 100
_TEMPLATE = re.compile(r"^\s*points\s*[x×*]\s*template\s+([A-Za-z0-9_.-]+)\s*$")  # times a template's share
ASSESSED = ("units", "regions", "both")


def _number(value: Any, where: str, what: str = "points") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{where}: `{what}` is a number of points, 0 or more (e.g. 4), got {value!r}")
    return float(value)


def _indicators(assessed: str) -> set[str]:
    unit = {*UNIT_COUNTS, *UNIT_RATES}
    return unit if assessed == "units" else set(REGION_KEYS) if assessed == "regions" else unit & set(REGION_KEYS)


def _threshold(raw: dict[str, Any], where: str, assessed: str) -> Threshold:
    rule = raw.get("rule")
    scheme = _SCHEME.match(rule) if isinstance(rule, str) else None
    if scheme is not None:
        if assessed != "units":
            raise ConfigError(f"{where}: `points x scheme {scheme.group(1)}` scores units; this template assesses "
                              f"{assessed}")
        return Threshold(f"{SCHEME_PREFIX}{scheme.group(1)}", 0.0, "times_rate")
    template = _TEMPLATE.match(rule) if isinstance(rule, str) else None
    if template is not None:
        return Threshold(f"{TEMPLATE_PREFIX}{template.group(1)}", 0.0, "times_rate")
    times = _TIMES.match(rule) if isinstance(rule, str) else None
    found = _RULE.match(rule) if isinstance(rule, str) else None
    if found is None and times is None:
        raise ConfigError(f"{where}: cannot read rule {rule!r}; write `<indicator> >= <value>`, "
                          "e.g. `collector_filing_rate >= 70%` or `on_time_rate >= 0.9`, or `points x <rate>` "
                          "(the item's points times the rate, e.g. `points x on_time_close_rate`), or "
                          "`points x scheme <id>` (times a unit-score scheme's score as a share of its full marks, "
                          "e.g. "
                          "`points x scheme county-interim`), or `points x template <id>` (times another "
                          "template's total as a share of its full marks, e.g. `points x template county-rules`)")
    name, value, percent = found.groups() if found is not None else (times.group(1), "0", "")  # type: ignore[union-attr]
    known = _indicators(assessed)
    if name not in known:
        raise ConfigError(f"{where}: unknown indicator {name!r} for {assessed}; known: {', '.join(sorted(known))}")
    if times is not None:
        if not name.endswith("_rate"):
            raise ConfigError(f"{where}: `points x {name}`: {name} is a count, not a rate between 0 and 1")
        return Threshold(name, 0.0, "times_rate")
    mode = raw.get("below", "all_or_nothing")
    if mode not in THRESHOLD_MODES or mode == "times_rate":
        raise ConfigError(f"{where}: `below` is one of {', '.join(THRESHOLD_MODES)}, got {mode!r}")
    return Threshold(name, float(value) / (100 if percent else 1), mode)


def schemes_named(templates: Mapping[str, Template]) -> dict[str, set[str]]:
    """scheme id -> the templates whose items score it (`points x scheme <id>`)."""
    named: dict[str, set[str]] = {}
    for template in templates.values():
        for item in template.items().values():
            if item.threshold is not None and item.threshold.indicator.startswith(SCHEME_PREFIX):
                named.setdefault(item.threshold.indicator[len(SCHEME_PREFIX):], set()).add(template.id)
    return named


def _deduction(raw: Any, where: str) -> Deduction:
    if not isinstance(raw, dict) or "id" not in raw or "label" not in raw:
        raise ConfigError(f"{where}: a deduction is a mapping with `id`, `label`, `kind` and `points`")
    kind = raw.get("kind", "fixed")
    if kind not in DEDUCTION_KINDS:
        raise ConfigError(f"{where}: `kind` is one of {', '.join(DEDUCTION_KINDS)}, got {kind!r}")
    points = _number(raw.get("points", 0), where)
    if kind in ("fixed", "per_occurrence") and points == 0:
        raise ConfigError(f"{where}: a {kind} deduction takes points: give `points` (e.g. 1)")
    return Deduction(str(raw["id"]), str(raw["label"]), kind, points)


def _item(raw: Any, where: str, assessed: str) -> Item:
    if not isinstance(raw, dict) or "id" not in raw:
        raise ConfigError(f"{where}: an item is a mapping with at least `id`, `name`, `points` and `scoring`")
    where = f"{where} item {raw['id']!r}"
    scoring = raw.get("scoring")
    if scoring not in SCORINGS:
        raise ConfigError(f"{where}: `scoring` is one of {', '.join(SCORINGS)}, got {scoring!r}")
    deductions = tuple(_deduction(d, f"{where} deduction {i + 1}") for i, d in enumerate(raw.get("deductions") or ()))
    if scoring == "deductions" and not deductions:
        raise ConfigError(f"{where}: a deductions item lists its `deductions`")
    if len({d.id for d in deductions}) != len(deductions):
        raise ConfigError(f"{where}: two deductions share an id")
    return Item(
        id=str(raw["id"]), name=str(raw.get("name", raw["id"])), points=_number(raw.get("points"), where),
        scoring=scoring, requirement=str(raw.get("requirement", "")),
        threshold=_threshold(raw, where, assessed) if scoring == "automatic" else None,
        deductions=deductions, may_go_negative=raw.get("may_go_negative", False) is True,
        note=str(raw.get("note", "")))


def _section(raw: Any, where: str, assessed: str) -> Section:
    if not isinstance(raw, dict) or "id" not in raw or not raw.get("items"):
        raise ConfigError(f"{where}: a section is a mapping with `id`, `name` and its `items`")
    where = f"{where} section {raw['id']!r}"
    items = tuple(_item(i, where, assessed) for i in raw["items"])
    declared = _number(raw["points"], where) if raw.get("points") is not None else None
    must = raw.get("must_add_up", False) is True
    scored = sum(i.points for i in items if i.scoring != "bonus")
    if must and declared is not None and abs(scored - declared) > 1e-9:
        raise ConfigError(f"{where}: its items add up to {scored:g} points, the section says {declared:g} "
                          "(fix an item's points, or the section's `points`)")
    return Section(str(raw["id"]), str(raw.get("name", raw["id"])), items, declared, must)


def parse_template(raw: Any, where: str) -> Template:
    if not isinstance(raw, dict) or "id" not in raw or not raw.get("sections"):
        raise ConfigError(f"{where}: an assessment template is a mapping with `id`, `name`, `assessed` and "
                          "`sections`")
    assessed = raw.get("assessed", "units")
    if assessed not in ASSESSED:
        raise ConfigError(f"{where}: `assessed` is one of {', '.join(ASSESSED)}, got {assessed!r}")
    sections = tuple(_section(s, where, assessed) for s in raw["sections"])
    ids = [i.id for s in sections for i in s.items]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ConfigError(f"{where}: item ids are unique within a template; twice: {', '.join(twice)}")
    cap = raw.get("bonus_cap")
    periods = tuple(str(p) for p in raw.get("periods", ("month",)))
    if not periods or any(p not in PERIOD_KINDS for p in periods):
        raise ConfigError(f"{where}: `periods` lists some of {', '.join(PERIOD_KINDS)}, got {list(periods)}")
    rank_within = raw.get("rank_within", "all")
    if rank_within not in ("all", "class") or (rank_within == "class" and assessed == "regions"):
        raise ConfigError(f"{where}: `rank_within` is all, or class for a template that assesses units; "
                          f"got {rank_within!r}")
    return Template(str(raw["id"]), str(raw.get("name", raw["id"])), assessed, periods, sections,
                    _number(cap, where, "bonus_cap") if cap is not None else None, str(raw.get("source", "")),
                    rank_within)


def _read(text: str, where: str) -> Template:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not YAML: {exc}") from exc
    return parse_template(raw, where)


def load_templates(extra_dir: Path | None = None) -> dict[str, Template]:
    """Built-in templates, then any *.yaml in extra_dir (an operator's own folder)."""
    found: dict[str, Template] = {}
    builtin = resources.files("caseflow.config").joinpath("assessments")
    for entry in sorted(builtin.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            template = _read(entry.read_text("utf-8"), f"built-in {entry.name}")
            found[template.id] = template
    if extra_dir is not None:
        for path in sorted(extra_dir.glob("*.yaml")):
            template = _read(path.read_text("utf-8"), str(path))
            found[template.id] = template
    scoring_order(found, found)
    return found


def scoring_order(templates: Mapping[str, Template], wanted: Iterable[str]) -> list[str]:
    """`wanted` and every template they score (`points x template <id>`), each after those it scores.
    ConfigError on a template that names an unknown one, one that assesses other subjects, or a cycle."""
    order: list[str] = []
    path: list[str] = []

    def visit(template_id: str) -> None:
        if template_id in order:
            return
        if template_id in path:
            raise ConfigError(f"templates score each other in a circle: {' -> '.join([*path, template_id])}")
        path.append(template_id)
        template = templates[template_id]
        for used in sorted(template.templates_scored()):
            if used not in templates:
                raise ConfigError(f"template {template_id}: `points x template {used}`: no such template; "
                                  f"known: {', '.join(sorted(templates))}")
            if templates[used].assessed != template.assessed:
                raise ConfigError(f"template {template_id} assesses {template.assessed} and cannot score "
                                  f"template {used}, which assesses {templates[used].assessed}")
            if not set(template.periods) <= set(templates[used].periods):
                raise ConfigError(f"template {template_id} is for {', '.join(template.periods)} and scores template "
                                  f"{used}, which is for {', '.join(templates[used].periods)} only")
            visit(used)
        path.pop()
        order.append(template_id)

    for template_id in wanted:
        visit(template_id)
    return order
