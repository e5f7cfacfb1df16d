"""The board pages (Chinese, phone first, usable at 360 px): counts at the top (已超期 / 即将超期 / 在办),
one card per open case sorted by urgency, a live countdown or overdue-by, the traffic light, level
and supervision flags, an acknowledge button. The page holds no data: it reads the board feed with
the unit's token (or, for the command centre, an operator key), kept in the tab's session storage
and taken out of the address bar."""

from __future__ import annotations

import html

import orjson

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ · 案件看板</title>
<style>
 * { box-sizing: border-box; }
 body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #1f2329;
        background: #f2f3f5; font-size: 15px; }
 header { background: #fff; padding: 12px 14px 8px; position: sticky; top: 0; z-index: 2;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
 h1 { font-size: 18px; margin: 0 0 8px; }
 #status { font-size: 12px; color: #646a73; margin: 0 0 8px; }
 #status.bad { color: #d83931; }
 .counts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
 .count { border-radius: 8px; padding: 8px 6px; text-align: center; background: #f5f6f7; }
 .count b { display: block; font-size: 24px; line-height: 1.1; }
 .count.red b { color: #d83931; } .count.yellow b { color: #de7802; } .count.open b { color: #245bdb; }
 .filter { margin-top: 8px; } .filter select { width: 100%; font-size: 15px; padding: 6px; }
 main { padding: 10px; max-width: 760px; margin: 0 auto; }
 .case { background: #fff; border-radius: 10px; padding: 12px; margin-bottom: 10px; border-left: 6px solid #34c724; }
 .case.red { border-left-color: #d83931; } .case.yellow { border-left-color: #ffc60a; }
 .top { display: flex; justify-content: space-between; gap: 8px; align-items: baseline; flex-wrap: wrap; }
 .id { font-weight: 600; word-break: break-all; }
 .time { font-weight: 600; white-space: nowrap; } .red .time { color: #d83931; } .yellow .time { color: #b26a00; }
 .tags { margin: 6px 0; } .tag { display: inline-block; font-size: 12px; border-radius: 4px; padding: 1px 6px;
        margin: 0 4px 4px 0; background: #eff0f1; }
 .tag.l3, .tag.sup { background: #fde2e2; color: #d83931; } .tag.l2 { background: #feead2; color: #b26a00; }
 .tag.light { color: #fff; } .tag.light.red { background: #d83931; } .tag.light.yellow { background: #de7802; }
 .tag.light.green { background: #2ea121; }
 .desc { margin: 2px 0; } .addr, .meta { color: #646a73; font-size: 13px; margin: 2px 0; word-break: break-all; }
 .actions { margin-top: 8px; display: flex; gap: 8px; flex-wrap: wrap; }
 button, .link { font-size: 14px; padding: 7px 14px; border-radius: 6px; border: 1px solid #d0d3d6; background: #fff;
                 color: #1f2329; text-decoration: none; }
 button.ack { background: #245bdb; color: #fff; border-color: #245bdb; }
 button:disabled { background: #eff0f1; color: #8f959e; border-color: #eff0f1; }
 #login { display: none; background: #fff; padding: 16px; border-radius: 10px; }
 #login input { width: 100%; font-size: 15px; padding: 8px; margin: 8px 0; }
 .empty { text-align: center; color: #646a73; padding: 40px 0; }
</style></head>
<body>
<header>
 <h1 id="title">__TITLE__ · 案件看板</h1>
 <p id="status">连接中…</p>
 <div class="counts">
  <div class="count red"><b id="n-overdue">-</b>已超期</div>
  <div class="count yellow"><b id="n-soon">-</b>即将超期</div>
  <div class="count open"><b id="n-open">-</b>在办</div>
 </div>
 __FILTER__
</header>
<main>
 <form id="login"><label>__ASK__<input id="secret" type="password" autocomplete="off"></label>
  <button class="ack" type="submit">打开看板</button></form>
 <div id="cases"></div>
</main>
<script>
const UNIT = __UNIT__;
const NAMES = __NAMES__;
const CATEGORY = {event: "事件", component: "部件"};
const params = new URLSearchParams(location.search);
const storeKey = UNIT ? "caseflow-token-" + UNIT : "caseflow-operator-key";
let secret = params.get(UNIT ? "token" : "key") || sessionStorage.getItem(storeKey) || "";
if (params.has("token") || params.has("key")) {
  sessionStorage.setItem(storeKey, secret);
  params.delete("token"); params.delete("key");
  history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : ""));
}
let board = null, offset = 0, source = null, shown = "";
const $ = (id) => document.getElementById(id);

function light(c, now) {
  if (!c.suspended && c.deadline_ms !== null && now >= c.deadline_ms) return "red";
  if (c.warning_ms !== null && now >= c.warning_ms) return "yellow";
  return "green";
}
function span(ms) {
  const m = Math.floor(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
  if (d) return d + "天" + h + "小时";
  const s = Math.floor(Math.abs(ms) / 1000) % 60;
  return (h ? h + "小时" : "") + (m % 60) + "分" + (h ? "" : String(s).padStart(2, "0") + "秒");
}
function local(ms) {
  const t = new Date(ms + 8 * 3600000);
  return (t.getUTCMonth() + 1) + "月" + t.getUTCDate() + "日 " + String(t.getUTCHours()).padStart(2, "0") + ":" +
         String(t.getUTCMinutes()).padStart(2, "0");
}
function clock(c, now) {
  if (c.suspended) return "已挂账（暂停计时）";
  if (c.deadline_ms === null) return "";
  return now >= c.deadline_ms ? "已超期 " + span(now - c.deadline_ms) : "剩余 " + span(c.deadline_ms - now);
}
function levelTag(c) {
  if (c.level >= 3) return ["三级督办", "l3"];
  if (c.level === 2) return ["二级", "l2"];
  if (c.level === 1) return ["一级", "l1"];
  return null;
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
const RANK = {red: 0, yellow: 1, green: 2};
// Each second only the clocks move; the cards are rebuilt when the board or a light changes (a card
// a worker is about to tap is never swapped under the finger).
function tick() {
  if (!board) return;
  const now = Date.now() + offset;
  const lights = board.cases.map((c) => c.case_id + ":" + light(c, now) + ":" + c.acked).join(",");
  if (lights !== shown) { render(); return; }
  for (const c of board.cases) {
    const card = document.querySelector('article[data-case-id="' + CSS.escape(c.case_id) + '"] .time');
    if (card) card.textContent = clock(c, now);
  }
}
function render() {
  if (!board) return;
  const now = Date.now() + offset;
  shown = board.cases.map((c) => c.case_id + ":" + light(c, now) + ":" + c.acked).join(",");
  const cases = board.cases.slice().sort((a, b) =>
    ((b.supervised || b.level >= 3) - (a.supervised || a.level >= 3)) || (RANK[light(a, now)] - RANK[light(b, now)]) ||
    (b.level - a.level) || ((a.deadline_ms || 9e15) - (b.deadline_ms || 9e15)));
  const lights = cases.map((c) => light(c, now));
  $("n-overdue").textContent = lights.filter((l) => l === "red").length;
  $("n-soon").textContent = lights.filter((l) => l === "yellow").length;
  $("n-open").textContent = cases.length;
  const list = $("cases");
  list.replaceChildren();
  if (!cases.length) list.appendChild(el("p", "empty", "没有在办案件"));
  cases.forEach((c, i) => {
    const l = lights[i], card = el("article", "case " + l);
    card.dataset.caseId = c.case_id;
    const top = el("div", "top");
    top.append(el("span", "id", c.case_id), el("span", "time", clock(c, now)));
    const tags = el("div", "tags");
    tags.appendChild(el("span", "tag light " + l, {red: "红灯", yellow: "黄灯", green: "绿灯"}[l]));
    const lv = levelTag(c);
    if (lv) tags.appendChild(el("span", "tag " + lv[1], lv[0]));
    if (c.supervised) tags.appendChild(el("span", "tag sup", "督办"));
    if (c.reworks) tags.appendChild(el("span", "tag", "返工 " + c.reworks + " 次"));
    if (!UNIT) tags.appendChild(el("span", "tag", NAMES[c.unit] || c.unit));
    const f = c.facts || {};
    card.append(top, tags);
    const kind = [CATEGORY[f.category] || "", [f.major, f.minor].filter(Boolean).join("-")].join(" ").trim();
    card.appendChild(el("p", "desc", (f.description || "（无描述）") + (kind ? "（" + kind + "）" : "")));
    if (f.address) card.appendChild(el("p", "addr", "地址：" + f.address));
    if (c.deadline_ms !== null) card.appendChild(el("p", "meta", "处置时限 " + local(c.deadline_ms) +
      (c.limit_kind === "working" ? "（工作时）" : "")));
    const actions = el("div", "actions");
    const ack = el("button", "ack", c.acked ? "已确认" : "确认收到");
    ack.disabled = c.acked || c.level === 0 && !c.supervised && l === "green";
    ack.onclick = () => acknowledge(c, ack);
    actions.appendChild(ack);
    card.appendChild(actions);
    list.appendChild(card);
  });
}
async function acknowledge(c, button) {
  button.disabled = true; button.textContent = "确认中…";
  const headers = UNIT ? {"Authorization": "Bearer " + secret} : {"X-API-Key": secret};
  const r = await fetch("/v1/units/" + encodeURIComponent(c.unit) + "/cases/" + encodeURIComponent(c.case_id) +
                        "/ack", {method: "POST", headers});
  if (r.ok) { c.acked = true; render(); } else { button.disabled = false; button.textContent = "确认失败，重试"; }
}
function connect() {
  if (!secret) { $("login").style.display = "block"; $("status").textContent = "请先输入口令"; return; }
  const unitFilter = $("unit") ? $("unit").value : "";
  const url = UNIT ? "/v1/units/" + encodeURIComponent(UNIT) + "/board/feed?token=" + encodeURIComponent(secret)
                   : "/v1/board/feed?key=" + encodeURIComponent(secret) +
                     (unitFilter ? "&unit=" + encodeURIComponent(unitFilter) : "");
  if (source) source.close();
  source = new EventSource(url);
  source.onopen = () => { $("status").textContent = "实时连接正常"; $("status").className = ""; };
  source.onerror = () => { $("status").textContent = "连接中断，正在重连…（口令错误时请刷新重新输入）";
                           $("status").className = "bad"; };
  source.addEventListener("board", (e) => {
    board = JSON.parse(e.data);
    offset = board.now_ms - Date.now();
    $("status").textContent = "实时连接正常 · 更新于 " + local(board.now_ms).split(" ")[1];
    $("status").className = "";
    render();
  });
}
$("login").onsubmit = (e) => {
  e.preventDefault(); secret = $("secret").value.trim(); sessionStorage.setItem(storeKey, secret);
  $("login").style.display = "none"; connect();
};
if ($("unit")) $("unit").onchange = connect;
setInterval(tick, 1000);
connect();
</script></body></html>
"""


def board_page(unit: str | None, name: str, units: list[tuple[str, str]] | None = None) -> str:
    title = html.escape(f"{name}" if unit else "指挥中心")
    options = "".join(f'<option value="{html.escape(u)}">{html.escape(n)}</option>' for u, n in units or [])
    filter_html = (f'<div class="filter"><select id="unit"><option value="">全部单位</option>{options}</select></div>'
                   if unit is None else "")

    def script_json(value: object) -> str:  # safe inside <script>: no "</" can end it
        return orjson.dumps(value).decode().replace("</", "<\\/")

    return (PAGE.replace("__TITLE__", title).replace("__FILTER__", filter_html)
            .replace("__ASK__", "本单位看板口令（token）" if unit else "指挥中心操作员密钥")
            .replace("__UNIT__", script_json(unit)).replace("__NAMES__", script_json(dict(units or []))))
