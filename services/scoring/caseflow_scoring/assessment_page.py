"""The assessment page (Chinese; assessors, approvers and units alike): a period's table of units or
regions by section, then one subject's items with their records — add a finding with its evidence
file, submit, verify, approve, appeal, decide an appeal. The page holds no data: it calls the
assessment API with the session cookie it got by signing in (a key or token typed into its form, or a
unit's link token from the fragment, taken out of the address bar)."""

from __future__ import annotations

from importlib import resources

import orjson
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

PAGE = (resources.files("caseflow_scoring") / "assessment_page.html").read_text(encoding="utf-8")


def assessment_page(template: str, period: str) -> str:
    def script_json(value: object) -> str:  # safe inside <script>: no "</" can end it
        return orjson.dumps(value).decode().replace("</", "<\\/")
    return PAGE.replace("__TEMPLATE__", script_json(template)).replace("__PERIOD__", script_json(period))


def add_assessment_page(app: FastAPI) -> None:
    @app.get("/assessments/{template_id}/{period}", response_class=HTMLResponse, tags=["assessments"],
             summary="the assessment page (sign in through its form, or a unit's robot link)")
    async def page(template_id: str, period: str) -> HTMLResponse:
        return HTMLResponse(assessment_page(template_id, period))


EXEMPTION_PAGE = (resources.files("caseflow_scoring") / "exemption_page.html").read_text(encoding="utf-8")


def add_exemption_page(app: FastAPI) -> None:
    @app.get("/exemptions/{period}", response_class=HTMLResponse, tags=["exemptions"],
             summary="the exemption page: a unit applies, the command centre decides (sign in through its form)")
    async def page(period: str) -> HTMLResponse:
        return HTMLResponse(EXEMPTION_PAGE.replace("__PERIOD__", orjson.dumps(period).decode().replace("</", "<\\/")))
