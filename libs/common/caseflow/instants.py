"""Instants as the services and tools share them: epoch milliseconds inside, Asia/Shanghai for people.

Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so local time is a fixed offset.
(The pure core keeps its own copy of that offset in `domain.calendar`: it imports nothing of ours.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(t: datetime) -> int:
    return (t - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def iso(ms: int) -> str:
    """Local ISO 8601 with its offset, e.g. 2026-10-08T09:30:00+08:00."""
    return datetime.fromtimestamp(ms / 1000, SHANGHAI).isoformat()
