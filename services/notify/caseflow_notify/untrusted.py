"""Text from the platform (descriptions, addresses, case ids, codes, reasons, unit names) made inert
before it goes into a robot's markdown (pure).

A reporter's description `[点我](http://…)` or `![](http://…)` used to reach the DingTalk or WeCom group as
it was: a stranger's link in the unit's chat, or a stranger's image that every phone opening the chat
loads (a tracking pixel). Both vendors render a subset of Markdown plus a little HTML (WeCom's `<font>`
and `<@userid>` mentions), neither documents a backslash escape, so the characters that start markup
are replaced by their full-width forms, which read the same to a person and mean nothing to the
renderer: brackets (links, images), angle brackets (HTML, mentions, quotes), `@` (mentions), a scheme's
`://` (bare links the clients turn clickable), and line breaks (a heading, list or quote begun on a line
of its own). The text is then clipped so no line runs away."""

from __future__ import annotations

import urllib.parse

_INERT = str.maketrans({
    "[": "［", "]": "］", "<": "＜", ">": "＞", "@": "＠", "`": "｀", "|": "｜",
    "\r": " ", "\n": " ", "\t": " ", "\u2028": " ", "\u2029": " ", "\x0b": " ", "\x0c": " ", "\x85": " ",
})


def inert(text: object, limit: int = 200) -> str:
    """`text` safe to place inside a line of robot markdown, at most `limit` characters."""
    plain = str(text).translate(_INERT).replace("://", "：//").strip()
    return plain if len(plain) <= limit else plain[: max(0, limit - 1)] + "…"


def in_url(text: object) -> str:
    """A platform value placed in a link we make (case id, unit): percent-encoded, so it cannot end
    the link or add to its query."""
    return urllib.parse.quote(str(text), safe="")
