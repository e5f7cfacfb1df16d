"""Where a replay reads its events: a file, the case-events topic (a time range), or the archive.

A file is read in its line order; Kafka and the archive are read partition by partition into a file
first (`spool`, `partition_reads`), in one order for both: partition 0 by offset, then partition 1, …
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from caseflow.evaluation.periods import PeriodError, parse_instant


class SourceError(ValueError):
    """The source cannot be opened; the message says which option to fix."""


@dataclass(frozen=True)
class Source:
    kind: str  # file | kafka | archive
    path: Path | None = None
    bootstrap: str = ""
    database_url: str = ""
    topic: str = ""
    since: int | None = None  # record timestamps, ms; None = from the beginning
    until: int | None = None  # exclusive; None = up to the end when reading starts

    def describe(self) -> str:
        if self.kind == "file":
            return f"file {self.path}"
        where = self.bootstrap if self.kind == "kafka" else "PostgreSQL archive"
        return f"{self.kind} {self.topic} ({where})"


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("event source (exactly one)")
    one = g.add_mutually_exclusive_group(required=True)
    one.add_argument("--input", type=Path, help="a file of events, one contract-v1 JSON object per line")
    one.add_argument("--from-kafka", action="store_true",
                     help="the case-events topic (KAFKA_BOOTSTRAP_SERVERS; read without a consumer group)")
    one.add_argument("--from-archive", action="store_true", help="the PostgreSQL event archive (DATABASE_URL)")
    g.add_argument("--kafka", help="bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)")
    g.add_argument("--database-url", help="PostgreSQL URL (default: DATABASE_URL)")
    g.add_argument("--topic", help="topic name as written in the archive / on Kafka "
                                   "(default: $CASEFLOW_TOPIC_PREFIX.case-events, prefix `caseflow`)")
    g.add_argument("--since", help="Kafka/archive: records timestamped at or after this (default: all)")
    g.add_argument("--until", help="Kafka/archive: records timestamped before this (default: up to the end)")


def source_from_args(args: argparse.Namespace) -> Source:
    if args.input is not None:
        if args.since or args.until:
            raise SourceError("--since/--until select records on Kafka or in the archive; a file is read whole")
        return Source("file", path=args.input)
    try:
        since = parse_instant(args.since, "since") if args.since else None
        until = parse_instant(args.until, "until") if args.until else None
    except PeriodError as exc:
        raise SourceError(str(exc)) from exc
    topic = args.topic or f"{os.environ.get('CASEFLOW_TOPIC_PREFIX', 'caseflow')}.case-events"
    if args.from_kafka:
        bootstrap = args.kafka or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or ""
        if not bootstrap:
            raise SourceError("--from-kafka needs --kafka HOST:PORT or KAFKA_BOOTSTRAP_SERVERS")
        return Source("kafka", bootstrap=bootstrap, topic=topic, since=since, until=until)
    url = args.database_url or os.environ.get("DATABASE_URL") or ""
    if not url:
        raise SourceError("--from-archive needs --database-url or DATABASE_URL")
    return Source("archive", database_url=url, topic=topic, since=since, until=until)


def open_input(source: Source) -> tuple[BinaryIO, int]:
    """The --input file and its size, or a SourceError naming it."""
    assert source.path is not None
    try:
        return source.path.open("rb"), source.path.stat().st_size
    except OSError as exc:
        raise SourceError(f"cannot read --input {source.path}: {exc.strerror}") from exc


Progress = Callable[[int | None], Callable[[int], None]]  # given a total (or None), returns an advance(n)
