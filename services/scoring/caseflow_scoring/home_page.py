"""scoring's front page: where each page is, for whoever opens the service's address (links only, no data
and no sign-in: each page asks for its own)."""

from __future__ import annotations

import html
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from caseflow.evaluation.labels import CLASS_ZH
from caseflow.evaluation.periods import shift_month
from caseflow.instants import SHANGHAI
from caseflow_scoring.period_numbers import Scoring

STYLE = ("<style>body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:0;"
         "background:#f2f3f5;color:#1f2329;font-size:15px}header{background:#fff;padding:12px 14px;"
         "box-shadow:0 1px 3px rgba(0,0,0,.08)}h1{font-size:18px;margin:0}h2{font-size:16px;margin:0 0 8px}"
         "main{padding:10px;max-width:900px;margin:0 auto}.card{background:#fff;border-radius:10px;padding:12px;"
         "margin-bottom:10px}a{color:#245bdb;text-decoration:none}li{margin:6px 0}.muted{color:#646a73;"
         "font-size:13px}summary{cursor:pointer;margin:4px 0}ul{padding-left:20px;margin:4px 0}</style>")


def _link(href: str, text: str, note: str = "") -> str:
    e = html.escape
    told = f" <span class='muted'>{e(note)}</span>" if note else ""
    return f"<li><a href='{e(href)}'>{e(text)}</a>{told}</li>"


def home_page(scoring: Scoring, month: str, province: bool) -> str:
    last = shift_month(month, -1)

    def assessed(m: str) -> list[str]:
        return [_link(f"/assessments/{t.id}/{m}", t.name) for t in scoring.templates.values() if t.applies_to(m)]
    units = sorted(scoring.directory.units.values(), key=lambda u: (u.unit_class, u.id))
    regions = sorted(scoring.directory.regions.values(), key=lambda r: r.id)
    standing = ([_link(f"/units/{u.id}/standing", u.name, CLASS_ZH.get(u.unit_class, "")) for u in units]
                + [_link(f"/units/{r.id}/standing", r.name, "区域") for r in regions])
    parts = ["<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'><title>考核与评价</title>",
             STYLE, "</head><body><header><h1>城市管理考核与评价</h1></header><main>",
             f"<div class='card'><h2>本月 {month}</h2><ul>",
             _link(f"/exemptions/{month}", "核减申请", "单位申请、指挥中心审核"), *assessed(month), "</ul></div>",
             f"<div class='card'><h2>上月 {last}</h2><ul>",
             _link(f"/bulletin/{last}", "考核通报", "月度封存后公布"), _link(f"/exemptions/{last}", "核减申请"),
             *assessed(last), "</ul></div>",
             f"<div class='card'><h2>单位考核看板</h2><details><summary>{len(standing)} 个单位与区域</summary><ul>",
             *standing, "</ul></details></div>",
             "<div class='card'><h2>规则与接口</h2><ul>",
             _link("/whatif", "规则草案试算", "现行办法与草案对比，不保存结果"),
             *([_link(f"/province/{last}", f"省级监管平台 · 各市考核（{last}）")] if province else []),
             _link("/docs", "接口文档（OpenAPI）"), "</ul>",
             "<p class='muted'>每个页面各自登录：指挥中心与考核人员用密钥，单位用本单位口令或机器人消息中的链接。</p>",
             "</div></main></body></html>"]
    return "".join(parts)


def add_home_page(app: FastAPI, scoring: Scoring, province: bool) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home() -> HTMLResponse:
        return HTMLResponse(home_page(scoring, datetime.now(SHANGHAI).strftime("%Y-%m"), province))
