"""The province's units file from its cities' (pure): every city's units named `<city>:<id>` with their
names and classes, the cities (and counties) as the province's regions. Channels stay in the cities:
the province's alerts go to its own receivers, not to a city's units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.config.schemes import ConfigError
from caseflow.config.units_file import UnitsFile
from caseflow.contract.province_feed import CITY_ID, SEPARATOR


@dataclass(frozen=True)
class City:
    """A city or county feeding the province: its alias (the mirrored topics' prefix), name, units file."""

    id: str
    name: str
    units: UnitsFile
    on_time_target: float | None = None


def province_units(cities: Sequence[City], trial_until: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The province's units file content (YAML-ready), cities in the given order."""
    seen: set[str] = set()
    units: list[dict[str, Any]] = []
    regions: list[dict[str, Any]] = []
    for city in cities:
        if not CITY_ID.match(city.id):
            raise ConfigError(f"city {city.id!r}: an id of lower-case letters, digits and '-', up to 16 "
                              "(the alias MirrorMaker 2 gives its topics)")
        if city.id in seen:
            raise ConfigError(f"city {city.id!r} is listed twice")
        seen.add(city.id)
        region: dict[str, Any] = {"id": city.id, "name": city.name}
        if trial_until and city.id in trial_until:
            region["trial_until"] = trial_until[city.id]
        regions.append(region)
        for unit in city.units.units:
            entry: dict[str, Any] = {"id": f"{city.id}{SEPARATOR}{unit.id}",
                                     "name": f"{city.name}·{unit.name or unit.id}", "class": unit.unit_class}
            if unit.targets.on_time_rate is not None:
                entry["targets"] = {"on_time_rate": unit.targets.on_time_rate}
            units.append(entry)
    return {"units": units, "regions": regions}
