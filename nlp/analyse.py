"""The text work done for every post, in one place, so `yuqing score` and the pipeline agree:
clean → tokens → keywords, plus the simhash of the core text."""
from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def text(self) -> str:
        """What the sentiment model reads."""
        return self.cleaned.text


class Analyser:
    def __init__(self, cleaner: Cleaner, segmenter: Segmenter, keywords: Keywords):
        self.cleaner = cleaner
        self.segmenter = segmenter
        self.keywords = keywords

    @classmethod
    def from_config(cls, cfg) -> "Analyser":
        return cls(Cleaner(), Segmenter.from_config(cfg), Keywords.load(cfg))

    def analyse(self, text: str | None, title: str | None = None) -> Analysis:
        # A news title carries as much opinion as its body; both are read, title first.
        raw = f"{title}\n{text or ''}" if title else (text or "")
        c = self.cleaner.clean(raw)
        tokens = self.segmenter.tokens(c.text)
        return Analysis(c, tokens, self.keywords.extract(tokens), simhash(c.core))
