"""The board pages (Chinese, phone first, usable at 360 px): counts at the top (已超期 / 即将超期 / 在办),
one card per open case sorted by urgency, a live countdown or overdue-by, the traffic light, level
and supervision flags, an acknowledge button. The page holds no data: it reads the board feed with
the unit's token (or, for the command centre, an operator key), kept in the tab's session storage
and taken out of the address bar."""

from __future__ import annotations

import html
from importlib import resources

import orjson

# The page itself (HTML, CSS and the script), with __TITLE__, __FILTER__, __ASK__, __UNIT__ and __NAMES__
# filled in below.
PAGE = (resources.files("caseflow_notify") / "board_page.html").read_text(encoding="utf-8")
WALL_PAGE = (resources.files("caseflow_notify") / "wall_page.html").read_text(encoding="utf-8")



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
