"""City a closes a month and the province gets it; the province writes its workbook: the scenario's
month-end, through the same commands an operator runs (`caseflow close-month`, `caseflow report`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from caseflow_devstack.stack import Services


def close_city_a(city_a: Services, province: Services, units: Path, month: str, operator_key: str,
                 key: str) -> dict[str, Any]:
    """City a closes `month` (replayed from its archive, audited on its scoring); the province gets
    the signed document over MirrorMaker 2 and sets it beside its own numbers."""
    closed = subprocess.run(
        [sys.executable, "-m", "caseflow.cli", "close-month", month, "--from-archive", "--database-url",
         city_a.env["DATABASE_URL"], "--topic", "caseflow.case-events", "--units", str(units), "--scoring-url",
         city_a.running["scoring"].url, "--api-key", operator_key], capture_output=True, text=True, timeout=600)
    if closed.returncode != 0:
        return {"closed": False, "error": (closed.stdout + closed.stderr)[-2000:]}
    url = f"{province.running['scoring'].url}/v1/cities"
    end, by_city = time.time() + 120, {}
    while time.time() < end:
        cities = httpx.get(url, params={"period": month}, headers={"X-API-Key": key}, timeout=60).json()
        by_city = {c["city"]: c for c in cities["cities"]}
        if by_city.get("a", {}).get("signed"):
            return {"closed": True, "month": month, "cities": by_city}
        time.sleep(2)
    return {"closed": True, "month": month, "cities": by_city, "error": "the province never got it"}


def province_report(province: Services, work: Path, units: Path, month: str, key: str) -> dict[str, Any]:
    """The province's workbook for the month, from its own archive, by the same `caseflow report`: its
    regions sheet lists the cities against their targets, its city-regions sheet each city's own regions
    as the city signed them."""
    from openpyxl import load_workbook

    out = work / f"province-{month}.xlsx"
    made = subprocess.run(
        [sys.executable, "-m", "caseflow.cli", "report", "--from-archive", "--database-url",
         province.env["DATABASE_URL"], "--topic", "caseflow.case-events", "--units", str(units), "--period",
         month, "--out", str(out), "--no-progress", "--cities", "--scoring-url", province.running["scoring"].url,
         "--api-key", key], capture_output=True, text=True, timeout=600)
    if made.returncode != 0:
        return {"written": False, "error": (made.stdout + made.stderr)[-2000:]}
    book = load_workbook(out, read_only=True)
    regions = [row[0] for row in book["区域 regions"].iter_rows(min_row=2, values_only=True) if row and row[0]]
    drill = [list(row[:2]) for row in book["各市辖区 city regions"].iter_rows(min_row=3, values_only=True)
             if row and row[0]]
    page = out.parent / f"{out.stem}-charts" / "report.html"
    return {"written": True, "workbook": str(out), "regions": regions, "city_regions": drill,
            "html": page.exists(), "html_drills_down": page.exists() and "各市辖区" in page.read_text("utf-8")}


def province_year(province: Services, year: str, key: str) -> dict[str, Any]:
    """The province's cities for the year: the yearly template (province-frame) ranks them."""
    answer = httpx.get(f"{province.running['scoring'].url}/v1/cities", params={"period": year},
                       headers={"X-API-Key": key}, timeout=120)
    if answer.status_code != 200:
        return {"error": f"{answer.status_code} {answer.text[:500]}"}
    body = answer.json()
    totals = (body["assessments"].get("province-frame") or {}).get("totals") or {}
    return {"year": year, "ranks": {c: t.get("rank") for c, t in totals.items()},
            "months_signed": {c["city"]: c.get("months_signed") for c in body["cities"]}}
