"""The units file (责任单位 and regions) as the rules need it: ids, names, classes, targets.
The file's whole shape, with every key documented, is `config.units_file`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from caseflow.config.schemes import ConfigError
from caseflow.config.units_file import UnitsFile, parse_units_file
from caseflow.domain.calendar import date_to_day, day_start, month_end


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    unit_class: int
    on_time_target: float | None = field(default=None, compare=False)  # `targets: {on_time_rate: …}`


@dataclass(frozen=True)
class Region:
    id: str
    name: str


@dataclass(frozen=True)
class Directory:
    units: dict[str, Unit]
    regions: dict[str, Region]
    # id -> the instant its trial (试运行) ends: local midnight after the last day of `trial_until`
    unit_trials: dict[str, int] = field(default_factory=dict)
    region_trials: dict[str, int] = field(default_factory=dict)

    @property
    def unit_class(self) -> dict[str, int]:
        return {u.id: u.unit_class for u in self.units.values()}

    @property
    def names(self) -> dict[str, str]:
        """Every unit's and region's name by id."""
        return {**{r.id: r.name for r in self.regions.values()}, **{u.id: u.name for u in self.units.values()}}


def directory_of(spec: UnitsFile) -> Directory:
    units = {u.id: Unit(u.id, u.display_name, u.unit_class, u.targets.on_time_rate) for u in spec.units}
    regions = {r.id: Region(r.id, r.name or r.id) for r in spec.regions}
    unit_trials = {u.id: trial_end(u.trial_until) for u in spec.units if u.trial_until}
    region_trials = {r.id: trial_end(r.trial_until) for r in spec.regions if r.trial_until}
    return Directory(units, regions, unit_trials, region_trials)


def trial_end(month: str) -> int:
    """"2026-12" -> the instant 2027-01-01 00:00 Asia/Shanghai."""
    return month_end(day_start(date_to_day(date(int(month[:4]), int(month[5:7]), 1))))


def parse_directory(raw: Any, where: str) -> Directory:
    return directory_of(parse_units_file(raw, where))


def read_units_file(path: Path) -> UnitsFile:
    """The units file at `path`, parsed once (every service reads it through here)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the units file {path}: {exc.strerror}; pass --units PATH") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_units_file(raw, str(path))


def load_directory(path: Path) -> Directory:
    return directory_of(read_units_file(path))
