"""Platform text arrives as HTML fragments (weibo `text`, bilibili titles with <em>, tieba
floors). Emoticon images carry their meaning in `alt` ("[怒]"), so they become text, not nothing."""
from __future__ import annotations

import re

import lxml.html
from w3lib.html import replace_entities

_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_LINES = re.compile(r"\n\s*\n+")


def html_text(fragment: str | None) -> str:
    if not fragment:
        return ""
    if "<" not in fragment:
        return replace_entities(fragment).strip()
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for img in root.iter("img"):
        alt = img.get("alt") or ""
        img.tail = alt + (img.tail or "")
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    text = root.text_content()
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()
