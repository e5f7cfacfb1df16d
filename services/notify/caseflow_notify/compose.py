"""The messages of one delivery round: webhooks get JSON, robots get Chinese text packed within
their kind's limits (kinds/), most urgent first, one message per robot for all the units sharing it,
and only as many messages as the robot's rate has room for (the rest wait for a free slot)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import msgspec

from caseflow.contract.alert import AlertMessage, decode
from caseflow.domain.calendar import WorkingCalendar
from caseflow.infra.metrics import ROBOT_DEFERRED
from caseflow_notify import content, messages
from caseflow_notify.channels import Channel, Routing
from caseflow_notify.kinds.base import Alerts, Request, Text
from caseflow_notify.kinds.registry import kind_of
from caseflow_notify.ports import Round
from caseflow_notify.retry import RetryPolicy

WEBHOOK_GROUP = 200  # alerts per webhook message


@dataclass(frozen=True)
class DeliveryConfig:
    routing: Routing
    policy: RetryPolicy
    calendar: WorkingCalendar
    links: content.Links = field(default_factory=content.Links)
    window: timedelta = timedelta(seconds=5)  # later alerts for a receiver within this go out together
    digest_every: timedelta = timedelta(minutes=2)  # at most one catch-up digest per receiver this often
    batch: int = 500
    rate_margin: float = 2.0  # seconds added to a robot's minute

    def context(self, now_ms: int) -> content.Context:
        return content.Context(now_ms, self.calendar, self.routing.unit_names, self.links)


@dataclass
class Outgoing:
    """One message: the deliveries it carries, how to build its request at send time."""

    channel: Channel
    members: list[Any]  # notify_deliveries rows (alert_id, receiver, attempts, first_try_at, body …)
    build: Callable[[int], Request]
    robot: str | None = None
    slot: int | None = None
    digest: bool = False
    size: int = 0
    keys: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = [(m["alert_id"], m["receiver"]) for m in self.members]


def body_of(row: Any) -> AlertMessage:
    """The stored alert, typed; flagged `redelivery` when sent before a crash (maybe received: the
    receiver drops it if it has its alert_id)."""
    alert = decode(row["body"])
    return msgspec.structs.replace(alert, redelivery=True) if row["redelivery"] else alert


def webhook_messages(channel: Channel, rows: Sequence[Any], digest: dict[str, Any] | None = None) -> list[Outgoing]:
    out = []
    for i in range(0, len(rows), WEBHOOK_GROUP):
        chunk = list(rows[i:i + WEBHOOK_GROUP])
        message = Alerts([body_of(r) for r in chunk], digest)

        def build(now_ms: int, message: Alerts = message) -> Request:
            return kind_of(channel.type).render(channel, message, now_ms)
        out.append(Outgoing(channel, chunk, build, digest=digest is not None))
    return out


def robot_drafts(channel: Channel, rows: Sequence[Any], ctx: content.Context) -> list[tuple[messages.Draft, list[Any]]]:
    """Drafts for a robot, most urgent first; each with the delivery rows it carries (an alert bound
    for two receivers on one robot is told once). Rows refused as too long go alone."""
    by_alert: dict[str, list[Any]] = {}
    for r in rows:
        by_alert.setdefault(r["alert_id"], []).append(r)
    bodies = {a: body_of(rs[0]) for a, rs in by_alert.items()}  # each alert's body parsed once
    solo = [a for a, rs in by_alert.items() if any(r["solo"] for r in rs)]
    grouped = [bodies[a] for a in by_alert if a not in solo]
    kind = kind_of(channel.type)
    check, room = kind.fits(channel), kind.limits.free_text if kind.limits else 200
    drafts = messages.pack(content.entries_of(grouped), ctx, check, room) if grouped else []
    for alert_id in solo:
        drafts += messages.pack(content.entries_of([bodies[alert_id]]), ctx, check, room)
    drafts.sort(key=lambda d: min(content.urgency(bodies[a]) for a in d.alert_ids))
    return [(d, [r for a in d.alert_ids for r in by_alert[a]]) for d in drafts]


async def compose(tx: Round, cfg: DeliveryConfig, sends: Mapping[str, Sequence[Any]],
                  now_ms: int) -> list[Outgoing]:
    """`sends`: receiver -> its rows due now. Returns the messages to send; robot messages beyond the
    robot's free slots are not sent: their rows wait (pending) until a slot frees."""
    out: list[Outgoing] = []
    robots: dict[str, tuple[Channel, list[Any]]] = {}
    for receiver, rows in sends.items():
        channel = cfg.routing.channel_of(receiver)
        if channel is None:
            continue  # recorded as gone by the caller
        kind = kind_of(channel.type)
        if kind.limits is not None:
            robots.setdefault(kind.robot_key(channel), (channel, []))[1].extend(rows)
        else:
            out += webhook_messages(channel, rows)
    ctx = cfg.context(now_ms)
    for robot, (channel, rows) in sorted(robots.items()):  # one lock order across replicas
        drafts = robot_drafts(channel, rows, ctx)
        limits = kind_of(channel.type).limits
        assert limits is not None
        slots = await tx.robots.take(robot, len(drafts), limits.per_minute, cfg.rate_margin,
                                     per_second=limits.per_second)
        for slot, (draft, members) in zip(slots.ids, drafts, strict=False):
            out.append(robot_message(channel, draft, members, robot, slot))
        waiting = [m for _, members in drafts[len(slots.ids):] for m in members]
        if waiting:
            ROBOT_DEFERRED.labels(channel.type).inc(len(drafts) - len(slots.ids))
            await tx.queue.defer(waiting, slots.free_at)
    return out


def robot_message(channel: Channel, draft: messages.Draft, members: list[Any], robot: str, slot: int,
                  digest: bool = False) -> Outgoing:
    message = Text(draft.title, draft.text)

    def build(now_ms: int) -> Request:
        return kind_of(channel.type).render(channel, message, now_ms)

    return Outgoing(channel, members, build, robot, slot, digest)

