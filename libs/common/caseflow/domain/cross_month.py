"""county-interim 第十一条 as an option (rules §7, off by default, per scheme): an extended or suspended
assignment that crosses a month is due in the month of its dispatch and disposed in the month of its
disposal.

An assignment *crosses* at instant t when it was extended (any extension, engineering ones too: the
seed says 申请授权延期) or suspended within its dispatch month, that month has ended by t, and it was
not disposed within that month. In its dispatch month it then counts as due and not disposed (neither
overdue_open nor pending); its disposal, when it comes, counts (disposed, on_time or late) in the
month it falls in, where it is not dispatched, so that month's disposal_rate may exceed 1, as the seed's
rule implies. Only the schemes that ask for it read these counts; the period's indicators stay as
rules §4 defines them.
"""

from __future__ import annotations

from caseflow.domain import asof
from caseflow.domain.calendar import month_end
from caseflow.domain.state import Assignment


def crosses(a: Assignment, t: int) -> bool:
    end = month_end(a.dispatched_at)
    if t < end or asof.returned_by(a, t):
        return False
    asked = any(at < end for at, _ in a.extensions) or any(start < end for start, _ in a.suspensions)
    if not asked:
        return False
    disposed = asof.disposed_at(a, t)
    return disposed is None or disposed >= end


def carried_disposal(a: Assignment, start: int, end: int, t: int) -> tuple[bool, bool] | None:
    """For an assignment dispatched before [start, end) that crosses: (disposed in the period, on time),
    or None when its disposal does not fall in the period."""
    if a.dispatched_at >= start or not crosses(a, t):
        return None
    disposed = asof.disposed_at(a, t)
    if disposed is None or not start <= disposed < end:
        return None
    return True, disposed <= asof.deadline_at(a, t)
