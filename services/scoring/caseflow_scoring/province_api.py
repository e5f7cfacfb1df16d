"""The province's routes (#33): each city's numbers in the province beside what the city signed when it
closed the month."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException

from caseflow.evaluation.periods import PeriodError, month_bounds
from caseflow.infra.http import api_key_auth
from caseflow.infra.settings import Settings
from caseflow_scoring.city_months import comparison
from caseflow_scoring.ports import CityMonths

Document = Callable[[str], Awaitable[dict[str, Any]]]  # period -> the province's period document


def add_province_routes(app: FastAPI, settings: Settings, months: Callable[[], CityMonths], document: Document,
                        cities: list[str]) -> None:
    caller = Depends(api_key_auth(settings))

    async def compared(period: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        try:
            month_bounds(period)
        except PeriodError as exc:
            raise HTTPException(422, f"period: {exc}") from exc
        return await document(period), await months().signed(period)

    @app.get("/v1/cities", tags=["province"], summary="every city's numbers in the province beside what it signed")
    async def get_cities(period: str, who: str = caller) -> dict[str, Any]:
        doc, signed = await compared(period)
        names = sorted(set(cities) | set(signed))
        return {"period": period, "cities": [comparison(c, period, signed.get(c), doc) for c in names]}

    @app.get("/v1/cities/{city}/months/{period}", tags=["province"],
             summary="one city's month: the province's recomputation against the city's signed document")
    async def get_city_month(city: str, period: str, who: str = caller) -> dict[str, Any]:
        doc, signed = await compared(period)
        if city not in cities and city not in signed:
            raise HTTPException(404, f"no city {city!r} in the province's units file or its signed months")
        return comparison(city, period, signed.get(city), doc)
