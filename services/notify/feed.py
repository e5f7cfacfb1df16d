"""The live feed: Server-Sent Events per unit (the unit's own token), and a small Chinese page on it."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import orjson
from fastapi import HTTPException

from caseflow.infra.settings import Settings
from caseflow.notify.formats import REASON_ZH


def unit_tokens(settings: Settings) -> dict[str, str]:
    pairs = (item.split(":", 1) for item in settings.unit_tokens.split(",") if ":" in item)
    return {unit.strip(): token.strip() for unit, token in pairs}


def check_unit_token(settings: Settings, unit: str, presented: str | None) -> None:
    expected = unit_tokens(settings).get(unit)
    if not presented:
        raise HTTPException(401, "missing the unit's token (Authorization: Bearer … or ?token=…)")
    if expected is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(403, "this token does not belong to this unit")


async def alert_stream(pool: asyncpg.Pool, unit: str, backlog: int = 50, poll: float = 0.3) -> AsyncIterator[bytes]:
    """The unit's latest alerts, then every new one as it arrives (SSE frames)."""
    rows = await pool.fetch(
        "SELECT alert_id, body, received_at FROM notify_inbox WHERE unit = $1 ORDER BY received_at DESC LIMIT $2",
        unit, backlog)
    seen = {r["alert_id"] for r in rows}
    since: datetime | None = rows[0]["received_at"] if rows else None
    for row in reversed(rows):
        yield b"event: alert\ndata: " + row["body"].encode() + b"\n\n"
    yield b": ready\n\n"
    while True:
        await asyncio.sleep(poll)
        # received_at is the inserting transaction's start, so a row can commit after a later one:
        # look back a little and skip what was already sent.
        fresh = await pool.fetch(
            "SELECT alert_id, body, received_at FROM notify_inbox WHERE unit = $1 AND ($2::timestamptz IS NULL OR "
            "received_at > $2 - interval '30 seconds') ORDER BY received_at", unit, since)
        sent = 0
        for row in fresh:
            if row["alert_id"] in seen:
                continue
            seen.add(row["alert_id"])
            since = max(since, row["received_at"]) if since else row["received_at"]
            sent += 1
            yield b"event: alert\ndata: " + row["body"].encode() + b"\n\n"
        if not sent:
            yield b": keep-alive\n\n"


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{unit} 预警与超期案件</title>
<style>
 body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }}
 h1 {{ font-size: 1.4em; }} table {{ border-collapse: collapse; width: 100%; }}
 th, td {{ border-bottom: 1px solid #ddd; padding: .4em .6em; text-align: left; }}
 tr.overdue td {{ color: #b00020; }} tr.deadline_warning td {{ color: #b26a00; }}
 #status {{ font-size: .9em; color: #666; }}
</style></head>
<body>
<h1>{unit} · 即将超期预警与超期案件</h1>
<p id="status">连接中…</p>
<table><thead><tr><th>案件</th><th>类型</th><th>级别</th><th>时间</th><th>原因</th></tr></thead>
<tbody id="alerts"></tbody></table>
<script>
const TYPES = {{deadline_warning: "即将超期", overdue: "已超期", supervision: "督办", resolved: "已处置"}};
const REASONS = {reasons};
const rows = new Map();
const token = new URLSearchParams(location.search).get("token") || "";
const source = new EventSource("/v1/units/{unit}/feed?token=" + encodeURIComponent(token));
source.onopen = () => document.getElementById("status").textContent = "实时连接正常";
source.onerror = () => document.getElementById("status").textContent = "连接中断，正在重连…";
source.addEventListener("alert", (e) => {{
  const a = JSON.parse(e.data);
  if (a.type === "resolved") {{
    for (const [k, tr] of rows) if (k.startsWith(a.case_id + "|")) {{ tr.remove(); rows.delete(k); }}
    return;
  }}
  const key = a.case_id + "|" + a.type;
  let tr = rows.get(key);
  if (!tr) {{ tr = document.createElement("tr"); rows.set(key, tr); document.getElementById("alerts").prepend(tr); }}
  tr.className = a.type; tr.dataset.alertId = a.alert_id;
  tr.innerHTML = "";
  for (const v of [a.case_id, TYPES[a.type] || a.type, a.level, a.due_at, REASONS[a.reason] || a.reason]) {{
    const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
  }}
}});
</script></body></html>
"""


def page(unit: str) -> str:
    safe = "".join(ch for ch in unit if ch.isalnum() or ch in "-_.")
    return PAGE.format(unit=safe, reasons=orjson.dumps(REASON_ZH).decode())
