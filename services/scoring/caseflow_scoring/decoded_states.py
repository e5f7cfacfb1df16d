"""Decoded case states by (case, version), per database: decoding JSON into CaseState is scoring's main
cost, and the clock and the standing indicators ask for the same cases again and again. PostgreSQL
stays the truth (the stores read it): an entry is used only when its version is the stored one."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from caseflow.contract import snapshot
from caseflow.domain.state import CaseState

Fetch = Callable[[list[str]], Awaitable[list[tuple[str, bytes]]]]  # case ids -> (case id, stored snapshot)


class DecodedStates:
    """Past `limit` the entries
    decoded longest ago go first (a read of a month asks for every case: keeping the order of use would
    cost a reordering per case per read)."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.items: OrderedDict[str, tuple[int, CaseState]] = OrderedDict()

    async def load(self, fetch: Fetch, versions: Sequence[tuple[str, int]]) -> dict[str, CaseState]:
        """The states at these (case, version)s: kept ones as kept, the others fetched and decoded."""
        found: dict[str, CaseState] = {}
        missing = []
        for case_id, version in versions:
            hit = self.items.get(case_id)
            if hit is not None and hit[0] == version:
                found[case_id] = hit[1]
            else:
                missing.append(case_id)
        if missing:
            for case_id, raw in await fetch(missing):
                version, state = snapshot.decode(raw)
                found[case_id] = state
                self.items.pop(case_id, None)  # to the end: decoded now
                self.items[case_id] = (version, state)
            while len(self.items) > self.limit:
                self.items.popitem(last=False)
        return found


# By database (a service's work and API pools share one cache); tests use a few databases in turn.
_DECODED: OrderedDict[object, DecodedStates] = OrderedDict()


def states_of(key: object) -> DecodedStates:
    if key not in _DECODED:
        _DECODED[key] = DecodedStates()
        while len(_DECODED) > 2:
            _DECODED.popitem(last=False)
    return _DECODED[key]


