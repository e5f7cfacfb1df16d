"""The province's report drills down to its cities' own regions (#33): `caseflow report --cities` asks the
province's scoring (`GET /v1/cities`) for what each city signed when it closed the month, and adds one row
per city and region, with whether the city's signed month equals the province's recomputation. A city that
has not closed the period yet has no rows (its regions are known only from its signed month)."""

from __future__ import annotations

import argparse
import html
from collections.abc import Mapping, Sequence
from typing import Any

from caseflow.domain.indicator_keys import REGION_KEYS
from caseflow.evaluation.labels import REGION_ZH

HEAD = ["市（县） city", "辖区 region", *(f"{REGION_ZH[k]} {k}" for k in REGION_KEYS),
        "报送哈希 signed hash", "与本省复算 equals the province"]
EQUAL_ZH = {True: "一致 equal", False: "不一致 differs", None: "-"}


def add_cities_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cities", action="store_true",
                   help="a province's report: add each city's own regions as the city signed its month "
                        "(asks the province's scoring: --scoring-url, --api-key)")


def city_region_rows(cities: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """One row per city and region of the city's signed month, cities and regions in order."""
    rows: list[list[Any]] = []
    for city in sorted(cities, key=lambda c: str(c["city"])):
        signed = city.get("signed") or {}
        for region, row in sorted((city.get("city_regions") or {}).items()):
            rows.append([city.get("name") or city["city"], region, *(row.get(k) for k in REGION_KEYS),
                         signed.get("content_hash", ""), EQUAL_ZH[city.get("equal")]])
    return rows


def unsigned(cities: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted(str(c.get("name") or c["city"]) for c in cities if not c.get("signed"))


def html_section(cities: Sequence[Mapping[str, Any]]) -> str:
    """The report page's section: Chinese headers as its regions table, rates as the workbook shows them."""
    e = html.escape
    rates = [k for k in REGION_KEYS if k.endswith("rate")]
    head = "".join(f"<th>{e(h)}</th>" for h in ("市（县）", "辖区", *(REGION_ZH[k] for k in rates), "与本省复算"))
    body = ""
    for row in city_region_rows(cities):
        by_key = dict(zip(REGION_KEYS, row[2:2 + len(REGION_KEYS)], strict=True))
        cells = "".join(f"<td>{'-' if by_key[k] is None else f'{by_key[k]:.2%}'}</td>" for k in rates)
        body += f"<tr><td>{e(str(row[0]))}</td><td>{e(str(row[1]))}</td>{cells}<td>{e(row[-1].split()[0])}</td></tr>"
    missing = unsigned(cities)
    note = f"<p>尚未报送本期封存结果：{e('、'.join(missing))}</p>" if missing else ""
    return (f"<h2>各市辖区 city regions（按各市签发的月度结果）</h2>{note}"
            f"<div class='wide'><table><tr>{head}</tr>{body}</table></div>")
