"""scoring's assessment routes: templates, a period's totals per unit or region, one subject's items and
records, recording and moving records through their workflow, the changes behind a record, and the
evidence files. Who may do what: an API key named in CASEFLOW_ASSESSMENT_APPROVERS approves and decides
appeals; other operators assess; a unit or region with its own token (CASEFLOW_UNIT_TOKENS) reads its
own records, declares bonuses and appeals; any other key reads."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from dataclasses import asdict
from typing import Any

import msgspec
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from caseflow.config.assessments import scoring_order
from caseflow.config.units import Directory
from caseflow.domain.assessment import Template
from caseflow.domain.assessment_records import Actor, Command, Record, Refusal
from caseflow.evaluation.assessments import RecordsFile, assessment_parts, ranked_rows, scored_in_order, totals
from caseflow.evaluation.periods import PeriodError
from caseflow.infra.settings import Settings
from caseflow_scoring.assessing import UnknownRecord, act_on_record, record_on_request
from caseflow_scoring.people_api import People, actor_dependency, keys_only, own_only
from caseflow_scoring.store import assessments as store
from caseflow_scoring.store.assessments import PgAssessmentBooks
from caseflow_scoring.store.months import closed_month


class RecordIn(BaseModel):
    item: str
    kind: str = Field(description="finding | grade | bonus")
    deduction: str = ""
    occurrences: int = Field(1, ge=1, le=10_000)
    points: float | None = Field(None, ge=0, le=1000)
    evidence: str = Field("", max_length=5000)
    files: list[str] = Field(default_factory=list, max_length=50, description="hashes of uploaded files")


class CommandIn(BaseModel):
    why: str = Field("", max_length=2000)
    changes: dict[str, Any] = Field(default_factory=dict, description="edit: field -> new value")
    files: list[str] = Field(default_factory=list, max_length=50)


def record_json(record: Record) -> dict[str, Any]:
    return {**msgspec.to_builtins(record), "counts": record.counts}


def _refused(refusal: Refusal) -> HTTPException:
    return HTTPException(403 if refusal.forbidden else 409, refusal.reason)


def add_assessment_routes(app: FastAPI, settings: Settings, templates: dict[str, Template], numbers: Any,
                          directory: Directory, people: People) -> None:
    """`numbers(period)`: the period's document (units and regions with their indicators); `directory`:
    the units' and regions' names and the units' classes, from the units file."""
    named = directory.names
    who = Depends(actor_dependency(people))

    def template_of(template_id: str) -> Template:
        if template_id not in templates:
            raise HTTPException(404, f"no assessment template {template_id!r}; known: {', '.join(sorted(templates))}")
        return templates[template_id]

    async def document(period: str) -> dict[str, Any]:
        try:
            doc: dict[str, Any] = await numbers(period)
        except PeriodError as exc:
            raise HTTPException(422, str(exc)) from exc
        return doc

    async def with_records(template: Template, period: str,
                           subject: str | None = None) -> dict[str, tuple[Template, list[Record]]]:
        """The template and every template it scores, each with its records of the period."""
        return {tid: (templates[tid], await store.records_of(app.state.pool, tid, period, subject))
                for tid in scoring_order(templates, [template.id])}

    async def is_closed(period: str) -> bool:
        """A closed month's records are frozen (the page then offers no changes)."""
        return await closed_month(app.state.pool, period) is not None

    @app.get("/v1/assessments/whoami", tags=["assessments"], summary="who the key or token is, and its role")
    async def whoami(actor: Actor = who) -> dict[str, Any]:
        return asdict(actor)

    @app.get("/v1/assessments", tags=["assessments"], summary="assessment templates: sections, items, points")
    async def list_templates(actor: Actor = who) -> dict[str, Any]:
        return {"templates": [asdict(t) for t in sorted(templates.values(), key=lambda t: t.id)]}

    @app.get("/v1/assessments/{template_id}/{period}", tags=["assessments"],
             summary="a period's totals per unit or region (sections, bonus), ranked as the template says")
    async def period_totals(template_id: str, period: str, actor: Actor = who) -> dict[str, Any]:
        keys_only(actor, "a unit reads its own assessment: /v1/assessments/{template}/{period}/{unit}")
        template = template_of(template_id)
        part = assessment_parts(await with_records(template, period), await document(period),
                                directory.unit_class)[template.id]
        rows = ranked_rows(part, named, directory.unit_class)
        return {"template": template.id, "period": period, "closed": await is_closed(period), "rows": rows}

    @app.get("/v1/assessments/{template_id}/{period}/{subject}", tags=["assessments"],
             summary="one unit's or region's items, points and records")
    async def subject_detail(template_id: str, period: str, subject: str, actor: Actor = who) -> dict[str, Any]:
        own_only(actor, subject)
        template = template_of(template_id)
        assessed = await with_records(template, period, subject)
        records = assessed[template.id][1]
        found = scored_in_order(assessed, await document(period))[template.id]
        scored = found.get(subject) or totals(template, {subject: {}}, records)[subject]
        items = [{"section": s.id, "id": i.id, "name": i.name, "scoring": i.scoring, **asdict(scored.items[i.id])}
                 for s in template.sections for i in s.items]
        return {"template": template.id, "period": period, "subject": subject, "name": named.get(subject, subject),
                "closed": await is_closed(period), "total": scored.total,
                "bonus": scored.bonus, "sections": scored.sections, "items": items,
                "records": [record_json(r) for r in records]}

    @app.post("/v1/assessments/{template_id}/{period}/{subject}/records", tags=["assessments"], status_code=201,
              summary="record a finding or grade (assessors) or declare a bonus (the unit), as a draft")
    async def new_record(template_id: str, period: str, subject: str, body: RecordIn,
                         actor: Actor = who) -> dict[str, Any]:
        if actor.role == "reader":
            raise HTTPException(403, f"{actor.name!r} reads assessments; recording needs an operator key")
        draft = Record(uuid.uuid4().hex[:16], template_id, subject, period, body.item, body.kind, actor.name,
                       int(time.time() * 1000), body.points, body.deduction, body.occurrences, body.evidence,
                       tuple(body.files))
        made = await record_on_request(PgAssessmentBooks(app.state.pool), draft, actor, templates)
        if isinstance(made, Refusal):
            raise HTTPException(403 if made.forbidden else 422, made.reason)
        return record_json(made)

    @app.post("/v1/assessment-records/{record_id}/{action}", tags=["assessments"],
              summary="edit, submit, verify, approve, withdraw, appeal, uphold or reverse a record")
    async def move_record(record_id: str, action: str, body: CommandIn, actor: Actor = who) -> dict[str, Any]:
        if actor.role == "reader":
            raise HTTPException(403, f"{actor.name!r} reads assessments; this needs an operator key or a unit's token")
        command = Command(action, actor, body.why, tuple(body.changes.items()), tuple(body.files))
        try:
            moved = await act_on_record(PgAssessmentBooks(app.state.pool, settings.topic("alerts")), record_id, command,
                                        int(time.time() * 1000), settings.assessment_appeal_days, templates,
                                        settings.standing_link)
        except UnknownRecord as exc:
            raise HTTPException(404, f"no assessment record {record_id!r}") from exc
        if isinstance(moved, Refusal):
            raise _refused(moved)
        return record_json(moved)

    @app.get("/v1/assessment-exports/{template_id}/{period}", tags=["assessments"],
             summary="every record of a template's period, for `caseflow replay --assessments` (auditors)")
    async def export(template_id: str, period: str, actor: Actor = who) -> Response:
        keys_only(actor, "exports are for assessors and auditors")
        template = template_of(template_id)
        records = await store.records_of(app.state.pool, template.id, period)
        body = RecordsFile(template.id, period, records, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        return Response(msgspec.json.encode(body), media_type="application/json")

    @app.get("/v1/assessment-records/{record_id}/changes", tags=["assessments"],
             summary="every change to a record: who, when, old, new, why")
    async def record_changes(record_id: str, actor: Actor = who) -> dict[str, Any]:
        subject = await store.subject_of(app.state.pool, record_id)
        if subject is None:
            raise HTTPException(404, f"no assessment record {record_id!r}")
        own_only(actor, subject)
        return {"record": record_id, "changes": await store.changes_of(app.state.pool, record_id)}

    @app.post("/v1/assessment-files", tags=["assessments"], status_code=201,
              summary="upload evidence (JPEG, PNG or PDF, up to 10 MiB); answered with its hash")
    async def upload(request: Request, actor: Actor = who, name: str = Query("", max_length=200),
                     x_content_sha256: str | None = Header(None)) -> dict[str, Any]:
        if actor.role == "reader":
            raise HTTPException(403, "uploading evidence needs an operator key or the unit's token")
        content = await request.body()
        media_type = request.headers.get("content-type", "").split(";")[0].strip()
        try:
            digest = await store.put_file(app.state.pool, content, media_type, name, actor.name, x_content_sha256)
        except store.FileRefused as exc:
            status = 413 if len(content) > store.MAX_FILE_BYTES else 415 if "not kept" in str(exc) else 422
            raise HTTPException(status, str(exc)) from exc
        return {"hash": digest, "size": len(content), "media_type": media_type}

    @app.get("/v1/assessment-files/{digest}", tags=["assessments"],
             summary="an evidence file, by its hash: to a key, or to the unit whose record or application it is on")
    async def download(digest: str, actor: Actor = who) -> Response:
        if actor.role == "unit" and not await store.unit_may_read(app.state.pool, digest, actor.unit, actor.name):
            raise HTTPException(404, f"no file {digest}")  # as if absent: a hash is no key to another's file
        found = await store.get_file(app.state.pool, digest)
        if found is None:
            raise HTTPException(404, f"no file {digest}")
        filename = urllib.parse.quote(found.name or found.hash.replace(":", "-"))
        return Response(found.content, media_type=found.media_type,
                        headers={"ETag": f'"{found.hash}"', "X-Content-SHA256": found.hash,
                                 "Content-Disposition": f"attachment; filename*=UTF-8''{filename}",
                                 "X-Content-Type-Options": "nosniff"})
