"""The units file (责任单位 and regions): the contract's shape, extra keys ignored."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from caseflow.config.schemes import ConfigError


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    unit_class: int
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Region:
    id: str
    name: str


@dataclass(frozen=True)
class Directory:
    units: dict[str, Unit]
    regions: dict[str, Region]

    @property
    def unit_class(self) -> dict[str, int]:
        return {u.id: u.unit_class for u in self.units.values()}


def parse_directory(raw: Any, where: str) -> Directory:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with `units:` and `regions:`")
    units: dict[str, Unit] = {}
    for i, item in enumerate(raw.get("units") or []):
        spot = f"{where}: units[{i}]"
        if not isinstance(item, dict) or not item.get("id"):
            raise ConfigError(f"{spot}: each unit needs an `id`")
        cls = item.get("class")
        if cls not in (1, 2, 3):
            raise ConfigError(f"{spot} ({item['id']}): `class` must be 1, 2 or 3 (一类/二类/三类), got {cls!r}")
        extra = {k: v for k, v in item.items() if k not in ("id", "name", "class")}
        units[str(item["id"])] = Unit(str(item["id"]), str(item.get("name", item["id"])), cls, extra)
    regions: dict[str, Region] = {}
    for i, item in enumerate(raw.get("regions") or []):
        if not isinstance(item, dict) or not item.get("id"):
            raise ConfigError(f"{where}: regions[{i}] needs an `id`")
        regions[str(item["id"])] = Region(str(item["id"]), str(item.get("name", item["id"])))
    return Directory(units, regions)


def load_directory(path: Path) -> Directory:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the units file {path}: {exc.strerror}; pass --units PATH") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_directory(raw, str(path))
