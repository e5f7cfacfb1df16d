"""What a group chat (or a phone's SMS inbox) shows of the messages the stand-ins accepted, as one HTML
page to look at in headless Chromium: DingTalk's and WeCom's markdown rendered as those clients do
(headings, bold, lists, quotes, links, images, bare addresses made links), Feishu's rich-text posts by
element, SMS as plain text. A link or image in the page that we did not write is a defect the check
sees (every <a> and <img> is ours or absent)."""

from __future__ import annotations

import html
import re
from typing import Any

from tools.robot_bodies import dingtalk_text, wecom_text
from tools.robot_standins import Received

_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
_BARE = re.compile(r"(?<![\"'=>])\b(https?://[^\s<]+)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def markdown(text: str) -> str:
    """The subset of Markdown the robots' clients render, as permissively as they do."""
    out = []
    for raw in text.split("\n"):
        line = html.escape(raw, quote=False)
        line = _IMAGE.sub(lambda m: f'<img alt="{m.group(1)}" src="{m.group(2)}">', line)
        line = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', line)
        line = _BARE.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', line)
        line = _BOLD.sub(r"<b>\1</b>", line)
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            n = len(heading.group(1))
            out.append(f"<h{n}>{heading.group(2)}</h{n}>")
        elif line.startswith("- "):
            out.append(f"<li>{line[2:]}</li>")
        elif line.startswith("&gt; "):
            out.append(f"<blockquote>{line[5:]}</blockquote>")
        elif line.strip():
            out.append(f"<p>{line}</p>")
    return "\n".join(out)


def feishu_post(body: dict[str, Any]) -> str:
    zh = body["content"]["post"]["zh_cn"]
    out = [f"<h3>{html.escape(str(zh.get('title', '')))}</h3>"]
    for para in zh["content"]:
        parts = []
        for e in para:
            text = html.escape(str(e.get("text", "")))
            text = f"<b>{text}</b>" if "bold" in (e.get("style") or []) else text
            if e.get("tag") == "a":
                parts.append(f'<a href="{html.escape(str(e.get("href", "")))}">{text}</a>')
            elif e.get("tag") == "img":
                parts.append(f'<img src="{html.escape(str(e.get("image_key", "")))}">')
            else:
                parts.append(text)
        out.append(f"<p>{''.join(parts)}</p>")
    return "\n".join(out)


def bubble(received: Received) -> str:
    if received.vendor == "feishu":
        inner = feishu_post(received.body)
    elif received.vendor == "sms":
        inner = f"<pre>{html.escape(str(received.body.get('text', '')))}</pre>"
    else:
        # DingTalk shows `title` only in the notification, the chat shows `text`
        shown = received.body.get("markdown", {}).get("text") if received.vendor == "dingtalk" else None
        inner = markdown(str(shown or wecom_text(received.body) or dingtalk_text(received.body) or ""))
    names = {"dingtalk": "钉钉群机器人", "wecom": "企业微信群机器人", "feishu": "飞书群机器人", "sms": "短信"}
    return (f'<section class="chat {received.vendor}"><header>{names.get(received.vendor, received.vendor)}'
            f'</header><div class="bubble">{inner}</div></section>')


STYLE = """
body { margin: 0; background: #ededed; font: 15px/1.5 -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif; }
section.chat { margin: 10px 8px 18px; }
section.chat header { font-size: 12px; color: #777; margin: 0 0 4px 6px; }
.bubble { background: #fff; border-radius: 8px; padding: 8px 12px; box-shadow: 0 1px 1px rgba(0,0,0,.08);
          overflow-wrap: anywhere; }
.bubble h3 { font-size: 16px; margin: 4px 0; } .bubble h4 { font-size: 15px; margin: 10px 0 2px; }
.bubble p, .bubble li { margin: 2px 0; } .bubble li { list-style: none; }
.bubble a { color: #1677ff; } .bubble pre { white-space: pre-wrap; font: inherit; margin: 0; }
.sms .bubble { background: #e9f7e4; }
"""


def page(received: list[Received]) -> str:
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
            f"<body>{''.join(bubble(r) for r in received)}</body></html>")
