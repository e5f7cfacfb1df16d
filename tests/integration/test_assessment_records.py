"""Assessment records on PostgreSQL: the workflow applied to stored records with every change kept
(who, when, old, new, why), nothing deleted, refusals changing nothing, the totals from the stored
records; attachments kept with their hash within size and type limits."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import pytest

from caseflow.config.assessments import load_templates
from caseflow.domain.assessment_records import Actor, Command, Record, Refusal
from caseflow.evaluation.assessments import totals
from caseflow.infra import db
from caseflow.infra.settings import Settings
from caseflow_scoring.assessing import UnknownRecord, act_on_record, record_on_request
from caseflow_scoring.store.assessments import (
    MAX_FILE_BYTES,
    FileRefused,
    PgAssessmentBooks,
    changes_of,
    get_file,
    put_file,
    records_in,
    records_of,
)
from caseflow_scoring.store.months import closing, insert_closed

TEMPLATES = load_templates()
ASSESSOR, APPROVER, TOWN = Actor("li", "assessor"), Actor("wang", "approver"), Actor("town-a", "unit", "R-A")
T0 = 1_790_000_000_000
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def draft(record_id: str, item: str = "org-structure", kind: str = "finding", **more: object) -> Record:
    fields: dict[str, object] = {"deduction": "no-leader", "evidence": "检查记录"} if kind == "finding" else {}
    fields.update(more)
    return replace(Record(record_id, "district-rules", "R-A", "2026-10", item, kind, "", T0), **fields)


async def test_the_workflow_on_stored_records_keeps_every_change(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    books = PgAssessmentBooks(pool)
    try:
        made = await record_on_request(books, draft("f1"), ASSESSOR, TEMPLATES)
        assert isinstance(made, Record)
        for step, actor, at in (("submit", ASSESSOR, T0 + 1), ("approve", APPROVER, T0 + 2)):
            assert isinstance(await act_on_record(books, "f1", Command(step, actor, "核实"), at), Record)
        refused = await act_on_record(books, "f1", Command("withdraw", ASSESSOR, "误录"), T0 + 3)
        assert isinstance(refused, Refusal)  # approved: changes nothing
        appealed = await act_on_record(books, "f1", Command("appeal", TOWN, "已任命，附文件", files=("sha256:x",)),
                                       T0 + 4)
        assert isinstance(appealed, Record)
        reversed_ = await act_on_record(books, "f1", Command("reverse", APPROVER, "文件属实"), T0 + 5)
        assert isinstance(reversed_, Record) and not reversed_.counts
        [stored] = await records_of(pool, "district-rules", "2026-10")
        assert stored == reversed_
        history = await changes_of(pool, "f1")
        assert [(c["who"], c["action"], c["old"], c["new"]) for c in history] == [
            ("li", "create", None, "finding"), ("li", "submit", "draft", "submitted"),
            ("wang", "approve", "submitted", "approved"), ("town-a", "appeal", None, "open"),
            ("wang", "reverse", "open", "reversed")]
        assert history[-1]["why"] == "文件属实"
        for statement in ("DELETE FROM assessment_changes", "DELETE FROM assessment_records",
                          "UPDATE assessment_changes SET why = 'changed'"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="kept as written"):
                await pool.execute(statement)
        assert await changes_of(pool, "f1") == history
        assert len(await records_of(pool, "district-rules", "2026-10")) == 1
        with pytest.raises(UnknownRecord):
            await act_on_record(books, "nope", Command("submit", ASSESSOR), T0)
    finally:
        await pool.close()


async def test_records_are_checked_against_their_template(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    books = PgAssessmentBooks(pool)
    try:
        cases = [
            (draft("a", template="nope"), "no assessment template 'nope'"),
            (draft("b", item="nope"), "has no item 'nope'"),
            (draft("c", deduction="made-up"), "has no deduction 'made-up'; known: incomplete, no-leader"),
            (draft("d", item="filing-rate"), "scored from an indicator: nothing is recorded"),
            (draft("e", kind="grade", points=3.0), "scored by deductions: record a finding"),
        ]
        for record, message in cases:
            got = await record_on_request(books, record, ASSESSOR, TEMPLATES)
            assert isinstance(got, Refusal) and message in got.reason, (record.id, got)
        assert isinstance(await record_on_request(books, draft("f"), ASSESSOR, TEMPLATES), Record)
        again = await record_on_request(books, draft("f"), ASSESSOR, TEMPLATES)
        assert isinstance(again, Refusal) and "exists already" in again.reason
        assert [r.id for r in await records_of(pool, "district-rules", "2026-10")] == ["f"]
    finally:
        await pool.close()


async def test_totals_from_stored_records(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    books = PgAssessmentBooks(pool)
    try:
        for record_id, deduction, occurrences in (("f1", "fault-unreported", 3), ("f2", "misuse", 1)):
            record = draft(record_id, item="system-operation", deduction=deduction, occurrences=occurrences)
            assert isinstance(await record_on_request(books, record, ASSESSOR, TEMPLATES), Record)
            await act_on_record(books, record_id, Command("submit", ASSESSOR), T0 + 1)
        await act_on_record(books, "f1", Command("approve", APPROVER), T0 + 2)  # f2 waits for approval
        scored = totals(TEMPLATES["district-rules"], {"R-A": {"collector_filing_rate": 0.8}, "R-B": {}},
                        await records_of(pool, "district-rules", "2026-10"))
        assert scored["R-A"].sections["organisation"] == 17.0 and scored["R-A"].total == 24.0
        assert scored["R-B"].total == 27.0  # no rate (no reports): 立案率's 7 points stand
    finally:
        await pool.close()


async def test_attachments_kept_with_their_hash_within_the_limits(settings: Settings) -> None:
    pool = await db.connect(settings.database_url)
    try:
        digest = await put_file(pool, PNG, "image/png", "现场.png", "li")
        stored = await get_file(pool, digest)
        assert stored is not None and stored.content == PNG and stored.hash == digest and stored.size == len(PNG)
        assert await put_file(pool, PNG, "image/png", "again.png", "li", expected_hash=digest) == digest
        refusals = [
            (b"%PDF-" + b"x" * MAX_FILE_BYTES, "application/pdf", None, "at most 10,485,760"),
            (b"MZ\x90\x00", "application/x-msdownload", None, "is not kept; send image/jpeg, image/png"),
            (b"not a pdf", "application/pdf", None, "is not a application/pdf file"),
            (PNG, "image/png", "sha256:" + "0" * 64, "resend the file"),
        ]
        for content, media_type, expected, message in refusals:
            with pytest.raises(FileRefused, match=message):
                await put_file(pool, content, media_type, "f", "li", expected)
        assert await pool.fetchval("SELECT count(*) FROM assessment_files") == 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await pool.execute("DELETE FROM assessment_files")
        assert await get_file(pool, digest) is not None
    finally:
        await pool.close()



async def test_a_month_closing_waits_for_a_record_changing_and_freezes_the_rest(settings: Settings) -> None:
    """The closing lock: a record mid-change holds the close until it commits; once the month's row is
    in, no record of it changes (and one of another month still does)."""
    pool = await db.connect(settings.database_url)
    books = PgAssessmentBooks(pool)
    try:
        assert isinstance(await record_on_request(books, draft("c1"), ASSESSOR, TEMPLATES), Record)
        assert isinstance(await record_on_request(books, draft("n1", period="2026-11"), ASSESSOR, TEMPLATES), Record)
        order: list[str] = []

        async def close() -> None:
            async with closing(pool, "2026-10") as conn:
                order.append(f"closing sees {[r.status for r in await records_in(conn, '2026-10')]}")
                await insert_closed(conn, "2026-10", b"{}", "sha256:0", {}, "v", "test", "operator")

        async with books.transaction() as records:
            held = await records.get_for_update("c1")
            assert held is not None and not await records.period_closed("2026-10")
            closer = asyncio.create_task(close())
            await asyncio.sleep(0.5)
            assert not closer.done()  # waits for the record's transaction
            submitted = replace(held, status="submitted")
            await records.save(submitted, ())
            order.append("record saved")
        await closer
        assert order == ["record saved", "closing sees ['submitted']"]
        refused = await act_on_record(books, "c1", Command("withdraw", ASSESSOR, "撤回"), T0 + 9)
        assert isinstance(refused, Refusal) and "2026-10 is closed" in refused.reason
        assert isinstance(await record_on_request(books, draft("c2"), ASSESSOR, TEMPLATES), Refusal)
        assert isinstance(await act_on_record(books, "n1", Command("submit", ASSESSOR), T0 + 9), Record)
        [kept] = await records_of(pool, "district-rules", "2026-10")
        assert kept.status == "submitted"
    finally:
        await pool.close()
