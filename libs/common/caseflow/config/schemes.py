"""Scheme files: the built-in YAML files shipped with the package, plus a user's own folder."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml

from caseflow.domain.schemes import Scheme, Term


class ConfigError(ValueError):
    """A configuration file is wrong; the message names the file, the field and the fix."""


def _term(raw: dict[str, Any], where: str) -> Term:
    if "weight" not in raw:
        raise ConfigError(f"{where}: every term needs a `weight`")
    kinds = [k for k in ("key", "ratio", "manual", "steps_on") if k in raw]
    if len(kinds) != 1:
        raise ConfigError(f"{where}: a term needs exactly one of key, ratio, manual, steps_on (got {kinds})")
    return Term(
        weight=float(raw["weight"]),
        key=raw.get("key"),
        ratio=tuple(raw["ratio"]) if "ratio" in raw else None,
        manual=raw.get("manual"),
        steps_on=raw.get("steps_on"),
        steps=tuple((float(b), float(v)) for b, v in raw.get("steps", ())),
        steps_else=float(raw.get("steps_else", 0.0)),
        max_points=_positive(raw.get("max_points"), f"{where} max_points"),
    )


def _positive(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number <= 0:
        raise ConfigError(f"{where}: give a positive number of points (e.g. 20), got {value!r}")
    return number


def parse_scheme(raw: dict[str, Any], where: str) -> Scheme:
    if not isinstance(raw, dict) or "id" not in raw:
        raise ConfigError(f"{where}: a scheme file is a mapping with at least `id`")
    return Scheme(
        id=str(raw["id"]),
        name=str(raw.get("name", raw["id"])),
        kind=str(raw.get("kind", "unit_score")),
        periods=tuple(raw.get("periods", ("month",))),
        rank_within=str(raw.get("rank_within", "all")),
        terms=tuple(_term(t, f"{where} term {i + 1}") for i, t in enumerate(raw.get("terms", ()))),
        grades=tuple((float(b), str(g)) for b, g in raw.get("grades", ())),
        grade_else=raw.get("grade_else"),
        indicators=tuple(raw.get("indicators", ())),
        targets={str(k): float(v) for k, v in (raw.get("targets") or {}).items()},
        satisfied_includes_basically=_flag(raw, "satisfied_includes_basically", where),
        honours_trials=_flag(raw, "honours_trials", where),
        cross_month=_flag(raw, "cross_month", where),
        manual_from=_manual_from(raw, where),
    )


def _manual_from(raw: dict[str, Any], where: str) -> dict[str, str]:
    """`manual_from: {other: suning-2011-other}`: each named manual term of the scheme, fed by a template."""
    found = raw.get("manual_from") or {}
    manual = {str(t["manual"]) for t in raw.get("terms", ()) if isinstance(t, dict) and "manual" in t}
    if not isinstance(found, dict):
        raise ConfigError(f"{where}: `manual_from` maps a manual term to a template id, e.g. {{other: my-template}}")
    for term in found:
        if term not in manual:
            raise ConfigError(f"{where}: `manual_from` names {term!r}, not a manual term of the scheme "
                              f"(its manual terms: {', '.join(sorted(manual)) or 'none'})")
    if found and raw.get("cross_month"):
        raise ConfigError(f"{where}: a cross-month scheme cannot take `manual_from` (its terms read other counts)")
    return {str(k): str(v) for k, v in found.items()}


def _flag(raw: dict[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: `{key}` is true or false, got {value!r}")
    return value


def load_schemes(extra_dir: Path | None = None) -> dict[str, Scheme]:
    """Built-in schemes, then any *.yaml in extra_dir (a user's scheme replaces a built-in of the same id)."""
    schemes: dict[str, Scheme] = {}
    builtin = resources.files("caseflow.config").joinpath("schemes")
    for entry in sorted(builtin.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            scheme = parse_scheme(yaml.safe_load(entry.read_text("utf-8")), f"built-in {entry.name}")
            schemes[scheme.id] = scheme
    if extra_dir is not None:
        schemes.update(scheme_files(extra_dir))
    return schemes


def scheme_files(folder: Path) -> dict[str, Scheme]:
    """The schemes of the *.yaml files in `folder`, by id."""
    return schemes_from_texts({str(path): path.read_text("utf-8") for path in sorted(folder.glob("*.yaml"))})


def schemes_from_texts(files: Mapping[str, str]) -> dict[str, Scheme]:
    """The schemes of scheme files given as text (name -> YAML), by id; ConfigError naming the file."""
    schemes: dict[str, Scheme] = {}
    for name, text in files.items():
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{name}: not YAML ({str(exc).splitlines()[0]}); "
                              "a scheme file is one YAML mapping (docs/rules.md §7)") from exc
        scheme = parse_scheme(raw, name)
        if scheme.id in schemes:
            raise ConfigError(f"{name}: scheme id {scheme.id!r} is in another file too; one file per scheme")
        schemes[scheme.id] = scheme
    return schemes


def scheme_version(scheme: Scheme) -> str:
    """A content fingerprint of a scheme as loaded (any change to a weight, term or grade changes it)."""
    body = orjson.dumps(dataclasses.asdict(scheme), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()[:16]


def scheme_versions(schemes: dict[str, Scheme]) -> dict[str, str]:
    return {sid: scheme_version(s) for sid, s in sorted(schemes.items())}
