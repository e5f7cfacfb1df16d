"""What a draft rule would do (#35): the same period's indicators scored by the adopted and the draft
unit-scoring schemes side by side; every unit's score, rank and change, and the term that moved it most.
Pure: indicators and schemes in, the comparison out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from caseflow.domain.indicators import Indicators
from caseflow.domain.schemes import Row, Scheme, scheme_row, score_units, term_results

Rows = Mapping[str, Row]


@dataclass(frozen=True)
class TermChange:
    label: str  # the indicator (or ratio, manual input, steps) the term reads
    adopted: float | None  # its points under each scheme (None: the scheme has no such term)
    draft: float | None

    @property
    def delta(self) -> float:
        return (self.draft or 0.0) - (self.adopted or 0.0)


@dataclass(frozen=True)
class UnitMove:
    unit: str
    unit_class: int | None
    adopted: float | None  # score (None: the scheme does not exist on that side)
    draft: float | None
    adopted_rank: int | None  # None: not ranked (nothing due) or no such scheme
    draft_rank: int | None
    terms: tuple[TermChange, ...]
    why: str = ""  # the term that moved it against the others most ("" when no term's points changed)
    why_points: float = 0.0  # that term's change for this unit less its mean change over the units

    @property
    def rank_change(self) -> int | None:
        """Places gained under the draft (positive: up the ranking)."""
        if self.adopted_rank is None or self.draft_rank is None:
            return None
        return self.adopted_rank - self.draft_rank


@dataclass(frozen=True)
class SchemeComparison:
    id: str
    name: str
    status: str  # same | changed | new | removed
    rank_within: str
    units: tuple[UnitMove, ...]  # by adopted rank, unranked last

    @property
    def movers(self) -> list[UnitMove]:
        """Who moves most: by places, then by points."""
        moved = [u for u in self.units if (u.rank_change or 0) != 0 or abs((u.draft or 0) - (u.adopted or 0)) > 1e-9]
        return sorted(moved, key=lambda u: (-abs(u.rank_change or 0), -abs((u.draft or 0) - (u.adopted or 0)),
                                            u.unit))


Manual = Mapping[str, Mapping[str, float]]  # unit -> manual term -> its value (a share of the term's weight)


def _terms(scheme: Scheme | None, row: Row, manual: Mapping[str, float]) -> dict[str, float]:
    if scheme is None:
        return {}
    out: dict[str, float] = {}
    for t in term_results(scheme, scheme_row(scheme, row), manual):
        label = t.label if t.label not in out else f"{t.label}#{sum(1 for k in out if k.startswith(t.label))}"
        out[label] = t.points
    return out


def _rows(scheme: Scheme | None, indicators: Indicators, crossing: Indicators | None) -> Rows:
    if scheme is not None and scheme.cross_month:
        if crossing is None:
            raise ValueError(f"scheme {scheme.id} scores cross-month counts; evaluate them too")
        return crossing.units
    return indicators.units


def compare_scheme(adopted: Scheme | None, draft: Scheme | None, indicators: Indicators, crossing: Indicators | None,
                   unit_class: Mapping[str, int], manual: Manual | None = None) -> SchemeComparison:
    """`manual`: the units' manual inputs both sides score with (the month's evaluations, fed terms)."""
    either = draft if draft is not None else adopted
    assert either is not None
    manual = manual or {}
    rows_a, rows_d = _rows(adopted, indicators, crossing), _rows(draft, indicators, crossing)
    a = score_units(adopted, rows_a, unit_class, manual) if adopted else {}
    d = score_units(draft, rows_d, unit_class, manual) if draft else {}
    terms_of = {}
    for unit in sorted(set(a) | set(d)):
        given = manual.get(unit, {})
        ta, td = _terms(adopted, rows_a.get(unit, {}), given), _terms(draft, rows_d.get(unit, {}), given)
        terms_of[unit] = tuple(TermChange(k, ta.get(k), td.get(k)) for k in dict.fromkeys([*ta, *td]))
    moves = []
    mean = _mean_deltas(terms_of.values())
    for unit, terms in terms_of.items():
        # a term that changed every unit's points alike moves nobody: the reason is the term whose change
        # for this unit differs most from its change for the others
        relative = [(t.label, t.delta - mean.get(t.label, 0.0)) for t in terms if abs(t.delta) > 1e-9]
        why, points = max(relative, key=lambda x: abs(x[1])) if relative else ("", 0.0)
        moves.append(UnitMove(unit, unit_class.get(unit), a.get(unit, {}).get("score"), d.get(unit, {}).get("score"),
                              a.get(unit, {}).get("rank"), d.get(unit, {}).get("rank"), terms, why, points))
    moves.sort(key=lambda m: ((m.unit_class or 0) if either.rank_within == "class" else 0,
                              m.adopted_rank or 10**9, m.draft_rank or 10**9, m.unit))
    status = ("new" if adopted is None else "removed" if draft is None else
              "same" if adopted == draft else "changed")
    return SchemeComparison(either.id, either.name, status, either.rank_within, tuple(moves))


def _mean_deltas(all_terms: Iterable[tuple[TermChange, ...]]) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for terms in all_terms:
        for t in terms:
            sums.setdefault(t.label, []).append(t.delta)
    return {k: sum(v) / len(v) for k, v in sums.items()}


def what_if(indicators: Indicators, crossing: Indicators | None, unit_class: Mapping[str, int],
            adopted: Mapping[str, Scheme], draft: Mapping[str, Scheme], manual: Manual | None = None,
            fed: Mapping[str, Manual] | None = None) -> list[SchemeComparison]:
    """Every unit-scoring scheme of either side, the changed ones first. `manual`: the period's manual
    evaluations; `fed`: a scheme's inputs with its template-fed terms filled in (evaluation.fed_terms),
    which the draft of that scheme reads too."""
    ids = sorted({k for k, s in {**adopted, **draft}.items() if s.kind == "unit_score"})
    found = [compare_scheme(adopted.get(i), draft.get(i), indicators, crossing, unit_class,
                            (fed or {}).get(i, manual)) for i in ids]
    return sorted(found, key=lambda c: (c.status == "same", c.id))


def frozen_differences(record: Mapping[str, Any], found: list[SchemeComparison]) -> list[str]:
    """Where the adopted scores recomputed now differ from those the closed month signed."""
    units = record["document"].get("units", {})
    out = []
    for c in found:
        for m in c.units:
            signed = units.get(m.unit, {}).get("scores", {}).get(c.id)
            if signed is not None and m.adopted is not None and abs(signed["score"] - m.adopted) > 1e-9:
                out.append(f"{c.id} {m.unit}: signed {signed['score']}, now {m.adopted}")
    return out
