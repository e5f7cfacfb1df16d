"""notify's inbox use case with an in-memory Inbox port (the PostgreSQL adapter is exercised in
tests/integration/test_notify_delivery.py and end to end): an alert is kept once per id and routed to
its recipients' receivers, `resolved` also reaches every receiver told of the case before, an alert
far behind its instant is queued as catch-up. (A record that is not an alert: tests/unit/test_consuming.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from caseflow.contract.alert import AlertMessage, decode
from caseflow.infra.consuming import Consumed
from caseflow.instants import SHANGHAI
from caseflow_notify.channels import parse_routing
from caseflow_notify.inbox import store_on_alerts_raised

ROUTING = parse_routing({"units": [
    {"id": "U1", "class": 1, "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/u1"}],
     "leadership_channels": [{"type": "webhook", "url": "http://127.0.0.1:9/lead"}]}]})


class MemoryInbox:
    def __init__(self) -> None:
        self.alerts: dict[str, str] = {}
        self.deliveries: dict[tuple[str, str], tuple[str, str, str, bool]] = {}

    async def add(self, rows: Sequence[tuple[str, str, str, str, str]]) -> set[str]:
        fresh = {r[0] for r in rows} - set(self.alerts)
        self.alerts.update({r[0]: r[3] for r in rows if r[0] in fresh})
        return fresh

    async def receivers_of(self, cases: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for (_, receiver), (_, case_id, _, _) in sorted(self.deliveries.items()):
            if case_id in cases and receiver not in out.get(case_id, []):
                out.setdefault(case_id, []).append(receiver)
        return out

    async def queue(self, deliveries: Sequence[tuple[str, str, str, str, str, bool]]) -> None:
        for alert_id, receiver, unit, case_id, kind, late in deliveries:
            self.deliveries.setdefault((alert_id, receiver), (unit, case_id, kind, late))

    async def unacknowledged_overdue(self, delay: timedelta) -> list[Any]:
        return []

    async def escalated(self, pairs: Sequence[tuple[str, str]]) -> None:
        pass


def record(offset: int, **alert: Any) -> Consumed[AlertMessage]:
    body = {"type": "overdue", "case_id": "C1", "unit": "U1", "level": 1, "recipients": ["unit"],
            "due_at": datetime.now(SHANGHAI).isoformat(), "reason": "overdue level 1", **alert}
    return Consumed(decode(orjson.dumps(body)), "U1", offset, {})


async def test_kept_once_and_routed_to_its_recipients() -> None:
    inbox = MemoryInbox()
    first = record(0, alert_id="A1", recipients=["unit", "leadership"])
    assert await store_on_alerts_raised(inbox, [first, first], ROUTING) == 1
    assert await store_on_alerts_raised(inbox, [first], ROUTING) == 0
    receivers = sorted(r for _, r in inbox.deliveries)
    assert len(receivers) == 2 and receivers[0] != receivers[1]


async def test_resolved_reaches_every_receiver_told_of_the_case() -> None:
    inbox = MemoryInbox()
    await store_on_alerts_raised(inbox, [record(0, alert_id="A1", recipients=["unit", "leadership"])], ROUTING)
    told = {r for _, r in inbox.deliveries}
    await store_on_alerts_raised(inbox, [record(1, alert_id="R1", type="resolved", recipients=["unit"])], ROUTING)
    assert {r for a, r in inbox.deliveries if a == "R1"} == told


async def test_an_alert_long_past_its_instant_is_catch_up() -> None:
    inbox = MemoryInbox()
    old = (datetime.now(SHANGHAI) - timedelta(days=3)).isoformat()
    stored = await store_on_alerts_raised(inbox, [record(0, alert_id="OLD", due_at=old),
                                                  record(1, alert_id="NEW")], ROUTING, timedelta(hours=1))
    assert stored == 2
    late = {a: v[3] for (a, _), v in inbox.deliveries.items()}
    assert late == {"OLD": True, "NEW": False}
