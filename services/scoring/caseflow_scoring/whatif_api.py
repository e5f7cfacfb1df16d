"""scoring's what-if route and page (#35): the people who write the rules send draft scheme files and
see what they would do to a past (or the running) month, quarter or year beside the adopted rules,
computed from the live case states. Nothing is stored: a draft changes no number anywhere."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from caseflow.config.schemes import ConfigError, schemes_from_texts
from caseflow.domain.assessment_records import Actor
from caseflow.evaluation.periods import PeriodError, named_bounds
from caseflow.evaluation.whatif_view import as_json, result_html
from caseflow_scoring.drafting import compare_draft
from caseflow_scoring.people_api import People, actor_dependency, keys_only
from caseflow_scoring.period_numbers import Scoring
from caseflow_scoring.store.period_sources import PgPeriodSources

PAGE = (resources.files("caseflow_scoring") / "whatif_page.html").read_text(encoding="utf-8")
MAX_FILES, MAX_BYTES = 20, 256 * 1024
FOR_KEYS = "trying draft rules is for the command centre's people, not a unit's token"


class DraftIn(BaseModel):
    period: str = Field(..., examples=["2026-10"], description="a month YYYY-MM, a quarter YYYY-Qn or a year YYYY")
    schemes: dict[str, str] = Field(..., examples=[{"standard-department.yaml": "id: standard-department\n..."}],
                                    description="file name -> the YAML of a draft scheme file; a draft with the "
                                                "id of an adopted scheme replaces it, another id adds one")


def add_whatif_routes(app: FastAPI, scoring: Scoring, people: People) -> None:
    who = Depends(actor_dependency(people))
    names = scoring.directory.names

    @app.get("/v1/whatif/schemes", tags=["what-if"], summary="the adopted unit-scoring schemes a draft can replace")
    async def adopted(actor: Actor = who) -> dict[str, Any]:
        keys_only(actor, FOR_KEYS)
        return {"schemes": [{"id": s.id, "name": s.name, "rank_within": s.rank_within, "periods": list(s.periods)}
                            for s in scoring.schemes.values() if s.kind == "unit_score"]}

    @app.post("/v1/whatif", tags=["what-if"],
              summary="a draft's scores, ranks and the term that moved each unit, beside the adopted rules")
    async def whatif(body: DraftIn, actor: Actor = who) -> dict[str, Any]:
        keys_only(actor, FOR_KEYS)
        try:
            named_bounds(body.period)
        except PeriodError as exc:
            raise HTTPException(422, f"period: {exc}") from exc
        if not body.schemes:
            raise HTTPException(422, "schemes: add at least one draft scheme file (YAML, docs/rules.md §7)")
        if len(body.schemes) > MAX_FILES or sum(len(t.encode()) for t in body.schemes.values()) > MAX_BYTES:
            raise HTTPException(413, f"schemes: at most {MAX_FILES} files and {MAX_BYTES // 1024} KB in all")
        try:
            draft = schemes_from_texts(body.schemes)
        except (ConfigError, ValueError, TypeError, KeyError) as exc:
            raise HTTPException(422, f"schemes: {exc}") from exc
        result = await compare_draft(PgPeriodSources(app.state.pool), body.period, scoring, draft)
        return {**as_json(body.period, result.schemes, names, result.sealed),
                "differences": result.differences, "months_closed": result.months_closed,
                "html": result_html(body.period, result.schemes, names, sealed_note(result.sealed,
                                                                                     result.differences))}

    @app.get("/whatif", response_class=HTMLResponse, tags=["what-if"],
             summary="the what-if page for the people who write the rules (sign in with a key)")
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE)


def sealed_note(content_hash: str, differences: list[str]) -> str:
    if not content_hash:
        return ""
    return content_hash + ("（与封存不同：现在的案件数据重算出的现行得分与封存时不同，共 "
                           f"{len(differences)} 处）" if differences else "（现行得分与封存一致）")
