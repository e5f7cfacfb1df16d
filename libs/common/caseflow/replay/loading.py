"""Fold a source's events into one CaseBook per as-of instant, in one pass, with a progress bar."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tqdm import tqdm

from caseflow.config.units import Directory
from caseflow.contract.mapping import parse
from caseflow.domain.exemptions import NONE, Exemptions
from caseflow.domain.indicators import Period
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import Scheme
from caseflow.evaluation.case_lines import case_lines as lines_of
from caseflow.evaluation.document import Applied, Assessed
from caseflow.replay import parallel
from caseflow.replay.engine import CaseBook, ReplayResult, repeated_hashes, result_of, with_fed_scores
from caseflow.replay.line_bucket import BOM
from caseflow.replay.output import as_document
from caseflow.replay.parallel import Replayed
from caseflow.replay.sources import Source, open_input
from caseflow.replay.spool import spooled

BIG_FILE = 20_000_000  # bytes; smaller inputs finish before a bar would help
BIG_STREAM = 100_000  # events
PARALLEL_FILE = 8_000_000  # bytes; below this, starting workers costs more than it saves
log = logging.getLogger(__name__)


class _Bar:
    def __init__(self, source: Source, enabled: bool) -> None:
        self.source, self.enabled = source, enabled and sys.stderr.isatty()
        self.bar: tqdm[None] | None = None

    def start(self, total: int | None) -> Callable[[int], None]:
        bytes_unit = self.source.kind == "file"
        big = total is not None and total > (BIG_FILE if bytes_unit else BIG_STREAM)
        if not (self.enabled and big):
            return lambda n: None
        bar = self.bar = tqdm(total=total, unit="B" if bytes_unit else " events", unit_scale=True,
                              file=sys.stderr, desc=f"replay {self.source.kind}")

        def advance(n: int) -> None:
            bar.update(n)
        return advance

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _add(books: list[CaseBook], as_ofs: Sequence[int], raw: bytes, seq: int) -> None:
    if raw.strip():
        event = parse(raw, seq)
        for book, as_of in zip(books, as_ofs, strict=True):
            book.add(event, seq, as_of)


def _fold_file(source: Source, as_ofs: Sequence[int], progress: bool, books: list[CaseBook]) -> None:
    """A file needs no event loop: the plain loop is measurably faster per line."""
    handle, size = open_input(source)
    bar = _Bar(source, progress)
    advance = bar.start(size)
    try:
        with handle:
            for seq, raw in enumerate(handle):
                advance(len(raw))
                _add(books, as_ofs, raw if seq else raw.removeprefix(BOM), seq)
    finally:
        bar.close()


def fold(source: Source, as_ofs: Sequence[int], rules: Rules, progress: bool = True) -> list[CaseBook]:
    """One book per as-of instant; each line is parsed once and added to every book it does not pass.

    A file is folded into lean books (see CaseBook) and, in the rare case that an event id was applied
    in two cases, folded again with those ids checked exactly. Kafka and the archive are spooled to a
    file first (replay.spool), then folded as that file."""
    if source.kind != "file":
        bar = _Bar(source, progress)
        try:
            with spooled(source, bar.start) as file:
                bar.close()
                return fold(file, as_ofs, rules, progress)
        finally:
            bar.close()
    books = [CaseBook(rules, lean=True) for _ in as_ofs]
    _fold_file(source, as_ofs, progress, books)
    suspects = repeated_hashes(book.id_hashes for book in books)
    if suspects:
        log.info("replay: %d event ids were used by more than one case; folding again to drop them", len(suspects))
        books = [CaseBook(rules, lean=True, suspects=suspects) for _ in as_ofs]
        _fold_file(source, as_ofs, progress, books)
    return books


def compute(source: Source, period: Period, rules: Rules, directory: Directory, schemes: Mapping[str, Scheme],
            workers: int, progress: bool, manual: Mapping[str, Mapping[str, float]] | None = None,
            exemptions: Exemptions = NONE) -> ReplayResult:
    """The period's result (see compute_periods)."""
    return compute_periods(source, [period], rules, directory, schemes, workers, progress, manual,
                           exemptions=exemptions).results[0]


def compute_periods(source: Source, periods: Sequence[Period], rules: Rules, directory: Directory,
                    schemes: Mapping[str, Scheme], workers: int, progress: bool,
                    manual: Mapping[str, Mapping[str, float]] | None = None, case_lines: bool = False,
                    exemptions: Exemptions = NONE) -> Replayed:
    """Every period's result from one pass over the source (`manual` applies to the last period; with
    `case_lines`, the last period's overdue and reworked cases too). A large file is folded in buckets of
    cases by `workers` processes (memory for one bucket of cases, not the months; same result); a small
    one in one. Kafka and the archive are spooled to a file first (replay.spool), then replayed as that
    file."""
    if source.kind != "file":
        bar = _Bar(source, progress)
        try:
            with spooled(source, bar.start, workers) as file:
                bar.close()
                return compute_periods(file, periods, rules, directory, schemes, workers, progress, manual,
                                       case_lines, exemptions)
        finally:
            bar.close()
    handle, size = open_input(source)
    handle.close()
    if size >= PARALLEL_FILE:
        assert source.path is not None
        bar = _Bar(source, progress)
        advance = bar.start(size)
        done = 0

        def on_progress(twice: int) -> None:  # the file's bytes are counted twice: partitioned, folded
            nonlocal done
            advance(twice // 2 - done)
            done = twice // 2
        try:
            found = parallel.replay_file_periods(source.path, periods, rules, directory, schemes, workers,
                                                 on_progress, manual, case_lines=case_lines, exemptions=exemptions)
            if isinstance(found, Replayed):
                on_progress(2 * size)  # workers report every 0.2 s: show the end, not the last report
        finally:
            bar.close()
        if isinstance(found, Replayed):
            return found
        log.warning("replay: folding in one process instead: %s", found)
    books = fold(source, [p.as_of for p in periods], rules, progress)
    last = len(periods) - 1
    results = [result_of(b, p, rules, directory, schemes, manual if i == last else None, exemptions)
               for i, (b, p) in enumerate(zip(books, periods, strict=True))]
    overdue, reworked = lines_of(books[-1].cases(), periods[-1]) if case_lines else ([], [])
    return Replayed(results, overdue, reworked)


def replay_document(source: Source, period: Period, rules: Rules, directory: Directory, schemes: Mapping[str, Scheme],
                    manual: Mapping[str, Mapping[str, float]], workers: int, progress: bool,
                    assessed: Assessed | None = None, exemptions: Exemptions = NONE,
                    applied: Iterable[Applied] | None = None) -> dict[str, Any]:
    """The period's document from a source, `rejected` and the `assessed` templates included (what audit
    and close-month compare with scoring), computed as replay computes it (`compute`: buckets, workers)."""
    result = compute(source, period, rules, directory, schemes, workers, progress, manual, exemptions)
    return as_document(with_fed_scores(result, schemes, directory, manual, assessed), assessed, directory.unit_class,
                       applied)
