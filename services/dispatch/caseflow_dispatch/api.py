"""dispatch's HTTP API: a case's current state and its rejected events."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException

from caseflow.infra.http import api_key_auth
from caseflow.infra.settings import Settings
from caseflow_dispatch.store import case_view


def add_routes(app: FastAPI, settings: Settings) -> None:
    caller = Depends(api_key_auth(settings))

    @app.get("/v1/cases/{case_id}", tags=["cases"], summary="a case's current state and rejected events")
    async def get_case(case_id: str, who: str = caller) -> dict[str, Any]:
        found = await case_view(app.state.pool, case_id)
        if found is None:
            raise HTTPException(404, f"no case {case_id!r}")
        return found
