"""The delivery worker: sends due deliveries, records every attempt, retries or gives up by the policy.

State lives in PostgreSQL (FOR UPDATE SKIP LOCKED, so replicas share the work and a restart resumes).
A delivery is committed as `sending` before its HTTP request and as delivered/failed after it. Only a
crash during the request itself leaves doubt: such rows are sent again after a grace period, flagged
`redelivery: true` with the same alert_id, so the receiver can drop it.

Fresh alerts go first, each round; alerts that reached notify long after their instant (catch-up)
go to each receiver as one digest at most every `digest_every`, and only while their robot keeps
slots free for fresh ones: a fresh alert never waits behind a backlog."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx

from caseflow.instants import SHANGHAI
from caseflow_notify import messages
from caseflow_notify.compose import DeliveryConfig, Outgoing, body_of, compose, robot_message, webhook_messages
from caseflow_notify.grouping import Pending, plan_receiver
from caseflow_notify.kinds.registry import kind_of
from caseflow_notify.outcomes import record, send
from caseflow_notify.ports import Round, Rounds

log = logging.getLogger(__name__)

async def deliver_due(rounds: Rounds, cfg: DeliveryConfig, client: httpx.AsyncClient, rnd: random.Random) -> int:
    """One round of fresh deliveries: grouped per receiver, planned (window, quiet hours, silences),
    composed into messages, sent, every attempt recorded. Returns how many deliveries it looked at."""
    now_ms = int(datetime.now(SHANGHAI).timestamp() * 1000)
    async with rounds.transaction() as tx:
        rows = await tx.queue.fresh_due(cfg.batch)
        if not rows:
            return 0
        groups: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            groups[r["receiver"]].append(r)
        sends = await _plan(tx, cfg, groups)
        gone = [r for receiver, members in sends.items() if cfg.routing.channel_of(receiver) is None for r in members]
        await tx.queue.finish(gone, "failed", "receiver no longer configured")
        outgoing = await compose(tx, cfg, sends, now_ms)
        await tx.queue.mark_sending([k for out in outgoing for k in out.keys])
    await _send_all(rounds, cfg, client, rnd, outgoing)
    return len(rows)


async def _plan(tx: Round, cfg: DeliveryConfig, groups: dict[str, list[Any]]) -> dict[str, list[Any]]:
    last = await tx.queue.last_sent(list(groups))
    silences = await tx.queue.silences(list({m["unit"] for members in groups.values() for m in members}))
    now = datetime.now(SHANGHAI)
    idle = await tx.robots.idle({_robot_of(cfg, r) for r in groups} - {""})
    sends: dict[str, list[Any]] = {}
    for receiver, members in groups.items():
        by_id = {m["alert_id"]: m for m in members}
        pending = [Pending(m["alert_id"], m["unit"], m["case_id"], _level(m), m["attempts"]) for m in members]
        # A robot with most of its minute free takes a fresh alert at once; grouping only saves
        # its slots when it is busy (and webhooks keep the configured window).
        window = timedelta(0) if _robot_of(cfg, receiver) in idle else cfg.window
        plan = plan_receiver(pending, now, last.get(receiver), window,
                             cfg.routing.quiet_hours.get(members[0]["unit"]), silences)
        await tx.queue.finish([by_id[p.alert_id] for p in plan.silenced], "silenced")
        if plan.waiting and plan.wait_until is not None:
            await tx.queue.defer([by_id[p.alert_id] for p in plan.waiting], plan.wait_until)
        if plan.send:
            sends[receiver] = [by_id[p.alert_id] for p in plan.send]
    return sends


def _level(row: Any) -> int:
    return body_of(row).level


async def deliver_catch_up(rounds: Rounds, cfg: DeliveryConfig, client: httpx.AsyncClient,
                           rnd: random.Random) -> int:
    """One round of digests: each receiver with late alerts due gets one message for all of them. A
    transaction per receiver: a robot's row is locked for one digest, not for the whole round (a
    fresh alert to that robot, delivered meanwhile by the other loop, waits for one digest at most)."""
    now_ms = int(datetime.now(SHANGHAI).timestamp() * 1000)
    outgoing: list[Outgoing] = []
    looked = 0
    async with rounds.transaction() as tx:
        receivers = await tx.queue.late_receivers()
    for found in sorted(receivers, key=lambda f: _robot_of(cfg, f["receiver"])):
        receiver, last = found["receiver"], found["last_digest_at"]
        async with rounds.transaction() as tx:
            rows = await tx.queue.late_due(receiver)
            looked += len(rows)
            if not rows:
                continue
            if last is not None and datetime.now(SHANGHAI) - last < cfg.digest_every:
                await tx.queue.defer(rows, last + cfg.digest_every)
                continue
            made = await _digest(tx, cfg, receiver, rows, now_ms)
            if made:
                outgoing += made
                await tx.queue.digest_sent(receiver)
                await tx.queue.mark_sending([k for out in made for k in out.keys])
    await _send_all(rounds, cfg, client, rnd, outgoing)
    return looked


def _robot_of(cfg: DeliveryConfig, receiver: str) -> str:
    """The robot a receiver sends to; "" for a webhook or a receiver no longer configured."""
    channel = cfg.routing.channel_of(receiver)
    return kind_of(channel.type).robot_key(channel) if channel is not None else ""


async def _digest(tx: Round, cfg: DeliveryConfig, receiver: str, rows: list[Any],
                  now_ms: int) -> list[Outgoing]:
    channel = cfg.routing.channel_of(receiver)
    if channel is None:
        await tx.queue.finish(rows, "failed", "receiver no longer configured")
        return []
    cases = sorted({r["case_id"] for r in rows if r["case_id"]})
    open_cases = await tx.queue.still_overdue(cases)
    still = [c for c in cases if c in open_cases]
    kind = kind_of(channel.type)
    if kind.limits is None:
        return webhook_messages(channel, rows, {"digest": True, "count": len(rows), "still_overdue": still})
    robot, per_minute = kind.robot_key(channel), kind.limits.per_minute
    slots = await tx.robots.take(robot, 1, per_minute, cfg.rate_margin, keep_free=min(5, per_minute // 4),
                                 per_second=kind.limits.per_second)
    if not slots.ids:
        await tx.queue.defer(rows, slots.free_at)
        return []
    draft = messages.digest([body_of(r) for r in rows], still, cfg.context(now_ms), kind.fits(channel))
    return [robot_message(channel, draft, rows, robot, slots.ids[0], digest=True)]


async def _send_all(rounds: Rounds, cfg: DeliveryConfig, client: httpx.AsyncClient, rnd: random.Random,
                    outgoing: list[Outgoing]) -> int:
    if not outgoing:
        return 0
    answers = await asyncio.gather(*(send(client, out) for out in outgoing))
    async with rounds.transaction() as tx:
        for out, answer in zip(outgoing, answers, strict=True):
            await record(tx, out, answer, cfg.policy, rnd, cfg.routing)
    return len(outgoing)


async def run_delivery(rounds: Rounds, cfg: DeliveryConfig, stopping: asyncio.Event, timeout: float = 5.0) -> None:
    """Fresh deliveries and catch-up digests in two loops: a round of digests for a month of history
    (every receiver's late alerts) never holds a fresh alert back (issue #34: it did, 4-11 s)."""
    rnd = random.Random()

    async def fresh(client: httpx.AsyncClient) -> int:
        await rounds.recover_interrupted(timedelta(seconds=timeout + 5))
        return await deliver_due(rounds, cfg, client, rnd)

    async def late(client: httpx.AsyncClient) -> int:
        return await deliver_catch_up(rounds, cfg, client, rnd)

    async with httpx.AsyncClient(timeout=timeout) as client:
        await asyncio.gather(_rounds("fresh", fresh, client, stopping), _rounds("catch-up", late, client, stopping))


async def _rounds(name: str, one: Any, client: httpx.AsyncClient, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        try:
            sent = await one(client)
        except Exception:
            log.exception("%s delivery round failed; retrying", name)
            sent = 0
        if not sent:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=0.2)
