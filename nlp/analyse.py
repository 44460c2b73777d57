"""The text work done for every post, in one place, so `yuqing score` and the pipeline agree:
clean → tokens → keywords, plus the simhash of the core text, the DUTIR emotions and the aspect
mentions whose clauses the model scores with the posts (`score`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from nlp.aspects import Aspects, Mention, entries
from nlp.emotions import Emotions
from nlp.keywords import Keywords
from nlp.segment import Segmenter
from nlp.simhash import simhash
from nlp.text import Cleaned, Cleaner


@dataclass
class Analysis:
    cleaned: Cleaned
    tokens: list[str]
    keywords: list[str]
    simhash: int
    emotions: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What the sentiment model reads."""
        return self.cleaned.text


class Analyser:
    def __init__(self, cleaner: Cleaner, segmenter: Segmenter, keywords: Keywords,
                 emotions: Emotions | None = None, aspects: Aspects | None = None):
        self.cleaner = cleaner
        self.segmenter = segmenter
        self.keywords = keywords
        self.emotions = emotions
        self.aspects = aspects

    @classmethod
    def from_config(cls, cfg) -> "Analyser":
        return cls(Cleaner(), Segmenter.from_config(cfg), Keywords.load(cfg),
                   Emotions.load() if cfg.nlp.emotions else None,
                   Aspects.from_config(cfg) if cfg.nlp.aspects else None)

    def analyse(self, text: str | None, title: str | None = None, topics: Iterable[str] = ()) -> Analysis:
        # A news title carries as much opinion as its body; both are read, title first.
        raw = f"{title}\n{text or ''}" if title else (text or "")
        c = self.cleaner.clean(raw)
        words = self.segmenter.cut(c.text)
        tokens = self.segmenter.keep(words)
        return Analysis(c, tokens, self.keywords.extract(tokens), simhash(c.core),
                        self.emotions.classify(words, c.emoticons) if self.emotions else [],
                        self.aspects.find(c.text, topics) if self.aspects else [])


_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def _bare(s: str) -> str:
    return _EDGES.sub("", s.lower())


def score(scorer, texts: list[str | None], mentions: list[list[Mention]]) -> tuple[list, list[list[dict]]]:
    """Posts and their aspect clauses in one model batch (so aspects ride on the posts' batches
    instead of costing calls of their own); a clause met twice, or equal to its post's text, is
    scored once (a one-clause post "物流太慢了！" is one model input). `texts[i]` None: post i keeps its
    sentiment, only its aspects are scored.
    Returns (per post: (sentiment, label, confidence) or None, per post: its `aspects` entries)."""
    slot: dict[str, int] = {}
    for t in texts:
        if t is not None:
            slot.setdefault(t, len(slot))
    for t, ms in zip(texts, mentions):
        whole = _bare(t) if t is not None else None
        for m in ms:
            if m.clause not in slot and whole is not None and _bare(m.clause) == whole:
                slot[m.clause] = slot[t]
            slot.setdefault(m.clause, len(slot))
    inputs = list(dict.fromkeys(slot.values()))
    order = {v: i for i, v in enumerate(inputs)}
    first = {}
    for text, v in slot.items():
        first.setdefault(v, text)
    results = scorer.predict([first[v] for v in inputs]) if slot else []
    slot = {k: order[v] for k, v in slot.items()}
    posts = [results[slot[t]] if t is not None else None for t in texts]
    return posts, [entries(ms, [results[slot[m.clause]] for m in ms]) for ms in mentions]
