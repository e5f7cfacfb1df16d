"""The pre-warning (风险预警, #35): an assignment whose overdue risk reaches the deployment's threshold
while less of its limit is used than the ordinary warning waits for is told to its unit once per cycle
(the alert's id is the assignment's cycle: a rework may warn again). Off unless a threshold is set."""

from __future__ import annotations

from collections.abc import Iterable

from caseflow.domain.alerts import Alert, alert_id
from caseflow.forecast.risk import Risk

RISK_REASON = "overdue_risk"  # contract.alert.Reason.OVERDUE_RISK


def plan_risk_warnings(risks: Iterable[Risk], threshold: float, warning_fraction: float, now: int) -> list[Alert]:
    return [Alert(alert_id("risk_warning", r.case_id, f"{r.seq}@{r.cycle_start}", "0"), "deadline_warning",
                  r.case_id, r.seq, r.unit, 0, now, RISK_REASON, detail=f"超期风险 {r.p_late or 0:.0%}：{r.why}")
            for r in risks
            if r.p_late is not None and r.p_late >= threshold and r.share < warning_fraction and not r.suspended]
