"""What a replay worker (`bucket_fold.work`) and the parent (`parallel`) send each other over their pipe,
in this order: worker Partitioned -> parent LineOffsets -> worker Folded -> parent RepeatParts ->
worker Repeats. A worker that fails sends Failed instead, with its traceback.

The repeat candidates are spread over the workers by Python's `hash` of their key, which is salted per
interpreter: workers agree only because they are forked from one parent (same salt). `HASH_PROBE` is
hashed in the parent (`Job.hash_probe`) and checked in each worker (`check_same_hash`), so a start
method other than fork fails loudly instead of miscounting repeats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseflow.contract.mapping import Invalid
from caseflow.domain.indicators import Counts
from caseflow.domain.lifecycle import Rejection
from caseflow.evaluation.case_lines import CaseLine

HASH_PROBE = ("caseflow", "repeat-key", "probe", "1")


def check_same_hash(expected: int) -> None:
    if hash(HASH_PROBE) != expected:
        raise RuntimeError("this replay worker hashes differently from its parent: the workers must be forked "
                           "(multiprocessing start method 'fork') so that repeat keys land on one worker")


@dataclass(frozen=True)
class Partitioned:
    lines: int  # the lines this worker wrote into bucket files


@dataclass(frozen=True)
class LineOffsets:
    offsets: list[int]  # each worker's first line number in the file


@dataclass(frozen=True)
class PeriodFolded:
    counts: Counts
    crossing: Counts  # the cross-month counts (empty unless a scheme asks)
    rejected: list[Rejection]


@dataclass(frozen=True)
class Folded:
    periods: list[PeriodFolded]
    candidates: list[list[bytes]]  # per period, per worker: the repeat candidates that worker counts
    invalid: list[tuple[int, Invalid]]
    id_hashes: bytes  # sorted int64 hashes of every applied event_id
    misrouted: int
    overdue: list[CaseLine]
    reworked: list[CaseLine]


@dataclass(frozen=True)
class RepeatParts:
    parts: list[list[bytes]]  # per period: every worker's candidates for this worker


@dataclass(frozen=True)
class Repeats:
    per_period: list[dict[str, int]]  # per period, per unit: the repeat cases counted


@dataclass(frozen=True)
class Failed:
    traceback: str


WorkerMessage = Partitioned | Folded | Repeats | Failed
ParentMessage = LineOffsets | RepeatParts


def expect(message: Any, kind: type) -> Any:
    """The message if it is of the kind the protocol expects next; a Failed one raises its traceback."""
    if isinstance(message, Failed):
        raise RuntimeError(f"replay worker failed:\n{message.traceback}")
    if not isinstance(message, kind):
        raise RuntimeError(f"replay worker protocol: expected {kind.__name__}, got {type(message).__name__}")
    return message
