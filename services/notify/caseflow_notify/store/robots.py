"""Each robot's rate limit, held in PostgreSQL so every notify replica respects it together.

A robot (a DingTalk access token or a WeCom key; several units may share one) takes at most
`per_minute` messages in any 60 s (and, where the vendor also limits bursts, `per_second` in any
second: Feishu). A slot is taken before the request (inside the round's
transaction, under a row lock on the robot) and its time set when the answer comes back, so the
vendor, which counts arrivals, never sees more: in-flight messages count as now, and `margin`
seconds are added to the window for clocks and latency.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from caseflow_notify.ports import Slots

IN_FLIGHT_FOR = timedelta(minutes=5)  # a slot reserved by a process that died mid-request expires


async def take_slots(conn: asyncpg.Connection, robot: str, wanted: int, per_minute: int,
                     margin: float = 2.0, keep_free: int = 0, per_second: int | None = None) -> Slots:
    """Reserve up to `wanted` sends to `robot` now, leaving `keep_free` slots for fresher messages."""
    await conn.execute("INSERT INTO notify_robots (robot) VALUES ($1) ON CONFLICT DO NOTHING", robot)
    row = await conn.fetchrow(
        "SELECT blocked_until, blocked_until > clock_timestamp() AS blocked, clock_timestamp() AS now "
        "FROM notify_robots WHERE robot = $1 FOR UPDATE", robot)
    now = row["now"]
    if row["blocked"]:
        return Slots((), row["blocked_until"])
    window = timedelta(seconds=60 + margin)
    await conn.execute("DELETE FROM notify_robot_sends WHERE robot = $1 AND reserved_at < $2",
                       robot, now - window - IN_FLIGHT_FOR)
    counted = await conn.fetch(
        "SELECT coalesce(done_at, $3) AS at FROM notify_robot_sends WHERE robot = $1 "
        "AND (done_at > $2 OR (done_at IS NULL AND reserved_at > $3 - $4::interval)) ORDER BY 1",
        robot, now - window, now, IN_FLIGHT_FOR)
    room = max(0, per_minute - len(counted) - keep_free)
    burst = timedelta(seconds=1 + margin / 4)
    if per_second is not None:
        recent = sum(1 for r in counted if r["at"] > now - burst)
        room = min(room, max(0, per_second - recent))
    granted = min(wanted, room)
    ids = []
    if granted:
        ids = [r["id"] for r in await conn.fetch(
            "INSERT INTO notify_robot_sends (robot) SELECT $1 FROM generate_series(1, $2) RETURNING id",
            robot, granted)]
    free_at = None
    if granted < wanted:
        busy = [r["at"] for r in counted]
        # The slot that frees first: the oldest counted send leaves the window (in-flight: soon).
        needed = len(counted) + keep_free + granted - per_minute  # sends that must leave first
        free_at = (busy[max(0, needed)] + window) if busy and needed < len(busy) else now + timedelta(seconds=1)
        free_at = max(free_at, now + timedelta(milliseconds=200))
        if per_second is not None and len(counted) + keep_free + granted < per_minute:
            free_at = min(free_at, now + burst)  # only the burst limit held it back
    return Slots(tuple(ids), free_at)


async def sent(conn: asyncpg.Connection, ids: list[int]) -> None:
    """The answers came back: count these sends from now."""
    if ids:
        await conn.execute("UPDATE notify_robot_sends SET done_at = clock_timestamp() WHERE id = ANY($1::bigint[])",
                           ids)


async def throttled(conn: asyncpg.Connection, robot: str, seconds: float, code: int | None, message: str) -> datetime:
    """The vendor throttled the robot: leave it alone as long as the vendor says."""
    return await conn.fetchval(
        "INSERT INTO notify_robots (robot, blocked_until, last_code, last_message) "
        "VALUES ($1, clock_timestamp() + make_interval(secs => $2), $3, $4) ON CONFLICT (robot) DO UPDATE SET "
        "blocked_until = EXCLUDED.blocked_until, last_code = EXCLUDED.last_code, last_message = EXCLUDED.last_message "
        "RETURNING blocked_until", robot, seconds, code, message)


async def idle_robots(conn: asyncpg.Connection, robots: set[str], busy_from: int = 10) -> set[str]:
    """The robots that took fewer than `busy_from` messages in the last minute (or none at all)."""
    if not robots:
        return set()
    busy = {r["robot"] for r in await conn.fetch(
        "SELECT robot FROM notify_robot_sends WHERE robot = ANY($1::text[]) "
        "AND coalesce(done_at, clock_timestamp()) > clock_timestamp() - interval '62 seconds' "
        "GROUP BY robot HAVING count(*) >= $2", list(robots), busy_from)}
    return robots - busy


class PgRobotSlots:
    """The RobotSlots port on one connection, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def take(self, robot: str, wanted: int, per_minute: int, margin: float = 2.0,
                   keep_free: int = 0, per_second: int | None = None) -> Slots:
        return await take_slots(self.conn, robot, wanted, per_minute, margin, keep_free, per_second)

    async def sent(self, ids: list[int]) -> None:
        await sent(self.conn, ids)

    async def throttled(self, robot: str, seconds: float, code: int | None, message: str) -> datetime:
        return await throttled(self.conn, robot, seconds, code, message)

    async def idle(self, robots: set[str], busy_from: int = 10) -> set[str]:
        return await idle_robots(self.conn, robots, busy_from)
