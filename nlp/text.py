"""Turn a raw post into the text the segmenter and the sentiment model read.

Posts arrive with HTML fragments and entities, short links, `@mentions`, `//@repost:` chains,
`#topic#` markers, platform emoticons such as `[怒]`, full-width Latin letters and sometimes
traditional characters (Hong Kong / Taiwan users, reposted news). None of that should change
what a post means, but all of it changes tokens, keywords, simhashes and model inputs, so it is
normalised once, here, and every later step reads the same `Cleaned` text. The stored post keeps
its original text: cleaning is for analysis, never a rewrite of the evidence.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.I)
_URL = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff01-\uff0f\u4e00-\u9fff<>\"']+|\bt\.cn/[A-Za-z0-9]+", re.I)
# Weibo marks short links it shortened itself with this text; it says nothing about the post.
_LINK_WORDS = re.compile(r"(O网页链接|网页链接|查看图片|展开全文c?|收起全文d?)")
# Repost boilerplate: Weibo fills an empty repost with 转发微博; people prefix copies with 转发：.
_REPOST_WORDS = re.compile(r"(?:转发微博|轉發微博|^\s*(?:转发|轉發|转|repost)\s*[:：])", re.I)
# "回复@名字:" and "//@名字:" introduce a reply or a repost chain; the name is not content.
# An "@" right after a Latin letter or digit is an e-mail address (masked by the privacy stage), not a name.
_REPLY = re.compile(r"(?:回复)?(?://)?(?<![A-Za-z0-9._%+-])@[^\s@:：,，。.!！?？;；)）\]】#]{1,30}\s*[:：]?")
# Weibo: #话题# ; Xiaohongshu: #话题[话题]#
_HASHTAG = re.compile(r"#([^#\n\r]{1,60}?)(?:\[话题\])?#")
_EMOTICON = re.compile(r"\[([^\[\]\s]{1,8})\]")
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_LINES = re.compile(r"\s*\n\s*")


@dataclass
class Cleaned:
    text: str  # what the segmenter and the model read
    tags: list[str] = field(default_factory=list)  # hashtags, in order of first appearance
    # Lower-cased letters and digits only, without hashtags and emoticons: what near-duplicate
    # detection compares (nlp/simhash.py), so a tacked-on #话题# or [怒] does not make a new post.
    core: str = ""
    # Bracket emoticons as written ([怒] -> "怒"), before they became words: emotions read them.
    emoticons: list[str] = field(default_factory=list)


def load_emoticons(path: Path = DATA / "emoticons.tsv") -> dict[str, str]:
    table: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise ValueError(f"{path}:{n}: expected 'name<TAB>word', got {line!r}")
        table[parts[0]] = parts[1]
        table.setdefault(parts[0].lower(), parts[1])
    return table


class TraditionalToSimplified:
    """OpenCC t2s, skipped for the >99 % of mainland posts that contain nothing to convert.

    The pure-Python OpenCC runs at ~3 MB/s, slower than segmentation itself. A text can only
    change if it holds a character that some t2s entry rewrites, so the trigger set is every
    character whose own entry differs plus the differing characters of phrase entries built
    from otherwise unchanged characters (瞭解, 反覆, 沈默); text without any of them is returned
    as it is, which gives exactly what OpenCC would.
    """

    def __init__(self) -> None:
        import opencc

        self.cc = opencc.OpenCC("t2s")
        d = Path(opencc.__file__).parent / "dictionary"
        trigger: set[str] = set()
        for line in (d / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
            k, _, v = line.partition("\t")
            if k and v.split(" ")[0] != k:
                trigger.add(k)
        for line in (d / "TSPhrases.txt").read_text(encoding="utf-8").splitlines():
            k, _, v = line.partition("\t")
            v = v.split(" ")[0]
            if not k or k == v or any(c in trigger for c in k):
                continue
            if len(k) == len(v):
                trigger.update(a for a, b in zip(k, v) if a != b)
            else:
                trigger.update(k)
        self.trigger = frozenset(trigger)

    def __call__(self, text: str) -> str:
        if self.trigger.isdisjoint(text):
            return text
        return self.cc.convert(text)


@lru_cache(maxsize=1)
def _t2s() -> TraditionalToSimplified:
    return TraditionalToSimplified()


class Cleaner:
    def __init__(self, emoticons: dict[str, str] | None = None, to_simplified: bool = True):
        self.emoticons = load_emoticons() if emoticons is None else emoticons
        self.t2s = _t2s() if to_simplified else None

    def _emoticon(self, m: re.Match) -> str:
        name = m.group(1)
        word = self.emoticons.get(name) or self.emoticons.get(name.lower()) or name
        return f" {word} "

    def clean(self, raw: str | None) -> Cleaned:
        if not raw:
            return Cleaned("")
        # Crawled text is sometimes escaped once or twice (&lt;br&gt;, &amp;lt;): unescape first,
        # then drop markup; a lone "<" in prose survives because a tag must start with a letter.
        s = html.unescape(html.unescape(raw))
        s = _BREAK.sub("\n", s)
        s = _TAG.sub(" ", s)
        # NFKC folds full-width Latin/digits (ＩＰＨＯＮＥ１５ → IPHONE15) and compatibility forms,
        # so brand words match the dictionary however they were typed.
        s = unicodedata.normalize("NFKC", s)
        # The `in` checks skip regex scans that cannot match: most posts have no link or name.
        if "http" in s or "www." in s or "t.cn" in s:
            s = _URL.sub(" ", s)
        s = _LINK_WORDS.sub(" ", s)
        if "转" in s or "轉" in s or "repost" in s.lower():
            s = _REPOST_WORDS.sub(" ", s)
        if "@" in s:
            s = _REPLY.sub(" ", s)
        if self.t2s is not None:
            s = self.t2s(s)
        has_tag, has_emo = "#" in s, "[" in s
        core = _HASHTAG.sub(" ", s) if has_tag else s
        core = _NOT_WORD.sub("", _EMOTICON.sub(" ", core) if has_emo else core).lower()
        tags: list[str] = []
        if has_tag:
            for m in _HASHTAG.finditer(s):
                tag = _SPACES.sub(" ", m.group(1)).strip()
                if tag and tag not in tags:
                    tags.append(tag)
            # The topic words stay in the text (they often carry the complaint: #星河手机爆炸#).
            s = _HASHTAG.sub(lambda m: f" {m.group(1)} ", s)
        emoticons = [m.group(1) for m in _EMOTICON.finditer(s)] if has_emo else []
        if has_emo:
            s = _collapse_repeats(_EMOTICON.sub(self._emoticon, s))
        s = _SPACES.sub(" ", s)
        s = _LINES.sub("\n", s).strip()
        return Cleaned(s, tags, core, emoticons)


_REPEAT = re.compile(r"( [^ \n]{1,8} )(?:\s*\1)+")


def _collapse_repeats(s: str) -> str:
    """`[怒][怒][怒]` becomes one 愤怒: repeats add length, not meaning, and would crowd the
    model's input window and the keyword list."""
    return _REPEAT.sub(r"\1", s)


@lru_cache(maxsize=1)
def default_cleaner() -> Cleaner:
    return Cleaner()


def clean(raw: str | None) -> Cleaned:
    return default_cleaner().clean(raw)
