"""Kafka and the archive into the bucketed engine: their records, in replay order, streamed into a
temporary NDJSON file (one record per line), which is then replayed like any file: partitioned into
buckets of cases and folded per bucket by worker processes. Memory stays one bucket of cases, not the
month; the disk holds the month once, under $TMPDIR, removed afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from caseflow.replay.sources import Source, read

_FLUSH = 10_000  # records per write


def one_line(raw: bytes) -> bytes:
    """A record as one line: a value written over several lines (pretty-printed JSON) is written
    compact, the same object; one that is not JSON has its line breaks made spaces (it is invalid either
    way, and stays one record)."""
    if b"\n" not in raw:
        return raw
    try:
        return orjson.dumps(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return raw.replace(b"\n", b" ")


async def _write(source: Source, path: Path, progress: Callable[[int | None], Callable[[int], None]]) -> int:
    count = 0
    pending: list[bytes] = []
    with path.open("wb") as out:
        async for raw in read(source, progress):
            pending.append(one_line(raw))
            count += 1
            if len(pending) >= _FLUSH:
                out.write(b"\n".join(pending) + b"\n")
                pending.clear()
        if pending:
            out.write(b"\n".join(pending) + b"\n")
    return count


@contextlib.contextmanager
def spooled(source: Source, progress: Callable[[int | None], Callable[[int], None]]) -> Iterator[Source]:
    """The source as a file source, for as long as the block runs."""
    work = Path(tempfile.mkdtemp(prefix="caseflow-spool-"))
    try:
        path = work / f"{source.kind}.jsonl"
        asyncio.run(_write(source, path, progress))
        yield Source("file", path=path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
