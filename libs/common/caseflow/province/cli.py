"""`caseflow province`: the province's own files from its cities'."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from caseflow.config.schemes import ConfigError
from caseflow.config.units import read_units_file
from caseflow.province.units import City, province_units

EXAMPLES = """examples:
  caseflow province units --city hz=杭州市=cities/hz/units.yaml --city nb=宁波市=cities/nb/units.yaml \\
      > province-units.yaml
    the province's units file: every city's units as <city>:<id> ("hz:U-HW-LP", named 杭州市·…, class
    kept), the cities as its regions. The alias (hz) is the one MirrorMaker 2 gives the city's topics
    (docs/runbook.md "A province"). Channels stay in the cities."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    units = sub.add_parser("units", help="the province's units file from its cities' units files")
    units.add_argument("--city", action="append", required=True, metavar="ALIAS=NAME=UNITS_FILE",
                       help="a city or county: its alias, its name and its units file (repeat per city)")


def run(args: argparse.Namespace) -> int:
    cities = []
    for spec in args.city:
        parts = spec.split("=", 2)
        if len(parts) != 3 or not all(parts):
            raise ConfigError(f"--city {spec!r}: write ALIAS=NAME=UNITS_FILE, e.g. hz=杭州市=cities/hz/units.yaml")
        alias, name, path = parts
        cities.append(City(alias, name, read_units_file(Path(path))))
    yaml.safe_dump(province_units(cities), sys.stdout, allow_unicode=True, sort_keys=False)
    return 0
