"""A report of a closed month shows the month as it was signed (issue #31): the replayed numbers are
compared with the closed month's document (from `--closed FILE`, or from scoring with `--scoring-url`);
equal, the report carries the content hash; different, it is refused unless `--recompute`, and then it
says on every page that its numbers are not the closed month's."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from caseflow.config.schemes import ConfigError
from caseflow.replay.audit import Difference, compare
from caseflow.replay.scoring_client import ScoringClient


def add_sealed_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--closed", type=Path, metavar="FILE",
                   help="the closed month's record (GET /v1/months/PERIOD, saved): the report must show it")
    p.add_argument("--scoring-url", help="ask scoring whether the month is closed (then as --closed)")
    p.add_argument("--api-key", help="an API key scoring accepts (default: CASEFLOW_API_KEY)")
    p.add_argument("--recompute", action="store_true",
                   help="write the replayed numbers even where they differ from the closed month (marked so)")


def closed_record(args: argparse.Namespace, period: str) -> dict[str, Any] | None:
    """The closed month's record the report must match, or None (not closed, or nobody asked)."""
    if args.closed is not None:
        record = closed_file(args.closed)
        if record.get("period") != period:
            raise ConfigError(f"--closed {args.closed} is the record of {record.get('period')}, not {period}")
        return record
    if args.scoring_url and "-" in period and "Q" not in period:
        return ScoringClient(args.scoring_url, args.api_key).month(period)
    return None


def closed_file(path: Path) -> dict[str, Any]:
    """A closed month's record saved from scoring (GET /v1/months/MONTH); ConfigError naming the file."""
    try:
        record = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError(f"--closed {path}: not a closed month's record ({exc})") from exc
    if not isinstance(record, dict) or "document" not in record or "content_hash" not in record:
        raise ConfigError(f"--closed {path}: not a closed month's record (GET /v1/months/MONTH gives one: "
                          "period, content_hash, document)")
    return dict(record)


def seal(record: Mapping[str, Any] | None, document: Mapping[str, Any]) -> tuple[str, list[Difference]]:
    """The line the report carries about the closed month, and the differences of `document` from it."""
    if record is None:
        return "", []
    diffs = compare(record["document"], document)
    if not diffs:
        return f"已封存 closed {record.get('closed_at', '')}: {record['content_hash']}（数据与封存一致）", []
    return (f"重算 recomputed: {len(diffs)} 处与封存结果 {record['content_hash']} 不同，"
            "本报告不是已签发的结果 (not the closed month's numbers)"), diffs
