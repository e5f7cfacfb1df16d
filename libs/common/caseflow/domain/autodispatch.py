"""Auto-dispatch proposals: a responsibility table (minor code x region -> unit) names the unit for a
filed case that has no assignment. The proposal is an event for the platform or an operator to act on,
never a change of the case's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from caseflow.domain.state import CaseState


@dataclass(frozen=True)
class ResponsibilityTable:
    """(major, minor, region) -> unit; '*' as region matches any region."""

    entries: Mapping[tuple[str, str, str], str]

    def unit_for(self, case: CaseState) -> str | None:
        for key in ((case.major, case.minor, case.region), (case.major, case.minor, "*")):
            unit = self.entries.get(key)
            if unit is not None:
                return unit
        return None


@dataclass(frozen=True, slots=True)
class DispatchProposed:
    case_id: str
    unit: str
    major: str
    minor: str
    region: str
    at: int  # the filing instant the proposal answers


def propose_on_case_filed(
    before: CaseState | None, after: CaseState, table: ResponsibilityTable
) -> DispatchProposed | None:
    """A proposal when this change filed the case and nobody holds it yet."""
    newly_filed = after.filed_at is not None and (before is None or before.filed_at is None)
    if not newly_filed or after.assignments or after.invalidated_at is not None:
        return None
    unit = table.unit_for(after)
    if unit is None:
        return None
    assert after.filed_at is not None
    return DispatchProposed(after.case_id, unit, after.major, after.minor, after.region, after.filed_at)
