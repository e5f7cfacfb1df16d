"""Assessment records, their changes and their files in PostgreSQL (migration 015: nothing deleted,
a change or a file never altered)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec

from caseflow.contract.alert import AlertMessage, encode
from caseflow.domain.assessment_records import Change, Record
from caseflow.infra import db, outbox
from caseflow.instants import from_ms
from caseflow_scoring.store.alerts import OUTBOX_SOURCE

MAX_FILE_BYTES = 10 << 20
MEDIA_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
_ENCODE = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder(Record)


class FileRefused(ValueError):
    """An attachment refused: the message says why and what is accepted."""


@dataclass(frozen=True)
class StoredFile:
    hash: str
    media_type: str
    size: int
    name: str
    content: bytes


class PgAssessmentRecords:
    """The AssessmentRecords port on one connection, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection, alerts_topic: str = "caseflow.alerts") -> None:
        self.conn, self.alerts_topic = conn, alerts_topic

    async def tell(self, notices: Sequence[AlertMessage]) -> None:
        await outbox.enqueue(self.conn, OUTBOX_SOURCE, [(self.alerts_topic, n.unit, encode(n), {}) for n in notices])

    async def get_for_update(self, record_id: str) -> Record | None:
        raw = await self.conn.fetchval("SELECT record FROM assessment_records WHERE id = $1 FOR UPDATE", record_id)
        return None if raw is None else _DECODE.decode(raw)

    async def save(self, record: Record, changes: Sequence[Change]) -> None:
        """Insert or replace the record's state, and append its new changes."""
        await self.conn.execute(
            "INSERT INTO assessment_records (id, template, subject, period, item, kind, status, version, record) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8::jsonb) ON CONFLICT (id) DO UPDATE SET "
            "status = EXCLUDED.status, record = EXCLUDED.record, version = assessment_records.version + 1, "
            "updated_at = clock_timestamp()",
            record.id, record.template, record.subject, record.period, record.item, record.kind, record.status,
            _ENCODE.encode(record).decode())
        await self.conn.executemany(
            "INSERT INTO assessment_changes (record_id, at, who, action, old, new, why) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)",
            [(record.id, from_ms(c.at), c.who, c.action, _ENCODE.encode(c.old).decode(),
              _ENCODE.encode(c.new).decode(), c.why) for c in changes])

    async def period_closed(self, period: str) -> bool:
        await self.conn.execute("SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", CLOSING_LOCKS, period)
        return bool(await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM closed_months WHERE period = $1)",
                                             period))


CLOSING_LOCKS = 2  # advisory lock namespace (two-key form) per period: shared while a record changes, exclusive
# while the month closes (namespace 1: infra.outbox)


async def records_in(conn: asyncpg.Connection, period: str) -> list[Record]:
    """Every template's records of a period."""
    rows = await conn.fetch("SELECT record FROM assessment_records WHERE period = $1 ORDER BY id", period)
    return [_DECODE.decode(r["record"]) for r in rows]


async def records_of(db: asyncpg.Pool | asyncpg.Connection, template: str, period: str,
                     subject: str | None = None) -> list[Record]:
    rows = await db.fetch("SELECT record FROM assessment_records WHERE template = $1 AND period = $2 "
                            "AND ($3::text IS NULL OR subject = $3) ORDER BY id", template, period, subject)
    return [_DECODE.decode(r["record"]) for r in rows]


async def subject_of(pool: asyncpg.Pool, record_id: str) -> str | None:
    subject: str | None = await pool.fetchval("SELECT subject FROM assessment_records WHERE id = $1", record_id)
    return subject


async def changes_of(pool: asyncpg.Pool, record_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT at, who, action, old, new, why FROM assessment_changes WHERE record_id = $1 "
                            "ORDER BY id", record_id)
    return changes_json(rows)


def changes_json(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Change rows (at, who, action, old, new, why) as the APIs show them."""
    return [{"at": r["at"].isoformat(), "who": r["who"], "action": r["action"], "old": msgspec.json.decode(r["old"]),
             "new": msgspec.json.decode(r["new"]), "why": r["why"]} for r in rows]


def check_file(content: bytes, media_type: str, expected_hash: str | None) -> str:
    """The content's hash, or FileRefused: over the size limit, a type not accepted (or content that is
    not what its type says), or a hash that does not match what the sender computed."""
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused(f"the file is {len(content):,} bytes; at most {MAX_FILE_BYTES:,} (10 MiB) are kept")
    magic = MEDIA_TYPES.get(media_type)
    if magic is None:
        raise FileRefused(f"type {media_type!r} is not kept; send {', '.join(MEDIA_TYPES)} (photos and PDFs)")
    if not content.startswith(magic):
        raise FileRefused(f"the content is not a {media_type} file (its first bytes do not say so)")
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    if expected_hash is not None and expected_hash != digest:
        raise FileRefused(f"the content's hash is {digest}, not the {expected_hash} sent with it: resend the file")
    return digest


async def put_file(pool: asyncpg.Pool, content: bytes, media_type: str, name: str, who: str,
                   expected_hash: str | None = None) -> str:
    digest = check_file(content, media_type, expected_hash)
    await pool.execute("INSERT INTO assessment_files (hash, media_type, size, name, content, uploaded_by) "
                       "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
                       digest, media_type, len(content), name, content, who)
    return digest


async def get_file(pool: asyncpg.Pool, digest: str) -> StoredFile | None:
    row = await pool.fetchrow("SELECT hash, media_type, size, name, content FROM assessment_files WHERE hash = $1",
                              digest)
    return None if row is None else StoredFile(row["hash"], row["media_type"], row["size"], row["name"],
                                               bytes(row["content"]))


async def unit_may_read(pool: asyncpg.Pool, digest: str, unit: str, uploader: str) -> bool:
    """Whether a unit's token may read a file: it uploaded it, or the file is evidence on one of its own
    assessment records (or their appeals) or exemption applications."""
    return bool(await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM assessment_files WHERE hash = $1 AND uploaded_by = $3) "
        "OR EXISTS (SELECT 1 FROM assessment_records WHERE subject = $2 AND (record->'files' ? $1 "
        "OR coalesce(record->'appeal'->'files', '[]'::jsonb) ? $1)) "
        "OR EXISTS (SELECT 1 FROM exemption_applications WHERE unit_id = $2 AND application->'files' ? $1)",
        digest, unit, uploader))


class PgAssessmentBooks:
    """The AssessmentBooks port on a pool."""

    def __init__(self, pool: asyncpg.Pool, alerts_topic: str = "caseflow.alerts") -> None:
        self.pool, self.alerts_topic = pool, alerts_topic

    def transaction(self) -> AbstractAsyncContextManager[PgAssessmentRecords]:
        return db.transaction(self.pool, lambda conn: PgAssessmentRecords(conn, self.alerts_topic))
