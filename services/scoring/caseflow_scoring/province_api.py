"""The province's routes and page (#33): each city (or county) ranked against its targets, its numbers in
the province beside what the city signed when it closed the month, and the city's own regions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any

import orjson
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from caseflow.domain.assessment_records import Actor
from caseflow.evaluation.labels import REGION_ZH, TERM_ZH
from caseflow.evaluation.periods import PeriodError, months_in, named_bounds
from caseflow_scoring.city_months import comparison
from caseflow_scoring.people_api import People, actor_dependency, keys_only
from caseflow_scoring.ports import CityMonths

FOR_KEYS = "the province's comparison is for the province's people, not a unit's token"
Document = Callable[[str], Awaitable[dict[str, Any]]]  # period -> the province's period document
PAGE = ((resources.files("caseflow_scoring") / "province_page.html").read_text(encoding="utf-8")
        .replace("__ZH__", orjson.dumps(TERM_ZH).decode()).replace("__REGION_ZH__", orjson.dumps(REGION_ZH).decode()))


def add_province_routes(app: FastAPI, people: People, months: Callable[[], CityMonths], document: Document,
                        names: Mapping[str, str]) -> None:
    actor = Depends(actor_dependency(people))

    async def compared(period: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        try:
            named_bounds(period)  # a month, quarter or year: the yearly template ranks a year
        except PeriodError as exc:
            raise HTTPException(422, f"period: {exc}") from exc
        return await document(period), await months().signed(period)

    async def months_signed(month: str) -> set[str]:
        return set(await months().signed(month))

    def named(row: dict[str, Any]) -> dict[str, Any]:
        return {**row, "name": names.get(row["city"], row["city"])}

    @app.get("/v1/cities", tags=["province"],
             summary="every city: its numbers in the province, its targets, and what it signed for the month")
    async def get_cities(period: str, who: Actor = actor) -> dict[str, Any]:
        keys_only(who, FOR_KEYS)
        doc, signed = await compared(period)
        months = months_in(period)
        if months == [period]:
            cities = sorted(set(names) | set(signed))
            rows = [named(comparison(c, period, signed.get(c), doc)) for c in cities]
        else:  # a quarter or year: which of its months each city signed (each compared on its month's page)
            by_month = {m: await months_signed(m) for m in months}
            cities = sorted(set(names).union(*by_month.values()))
            rows = [named(comparison(c, period, None, doc))
                    | {"months_signed": [m for m in months if c in by_month[m]]} for c in cities]
        return {"period": period, "months": months, "cities": rows,
                "listings": {k: v for k, v in (doc.get("listings") or {}).items() if v.get("on") == "regions"},
                "assessments": {k: {"on": v["on"], "totals": v["totals"]}
                                for k, v in (doc.get("assessments") or {}).items() if v.get("on") == "regions"}}

    @app.get("/v1/cities/{city}/months/{period}", tags=["province"],
             summary="one city's month: the province's recomputation against the city's signed document")
    async def get_city_month(city: str, period: str, who: Actor = actor) -> dict[str, Any]:
        keys_only(who, FOR_KEYS)
        doc, signed = await compared(period)
        if city not in names and city not in signed:
            raise HTTPException(404, f"no city {city!r} in the province's units file or its signed months")
        return named(comparison(city, period, signed.get(city), doc))

    @app.get("/province/{period}", response_class=HTMLResponse, tags=["province"],
             summary="the province's page: cities and counties against their targets, drill-down to their regions")
    async def page(period: str) -> HTMLResponse:
        return HTMLResponse(PAGE.replace("__PERIOD__", orjson.dumps(period).decode().replace("</", "<\\/")))
