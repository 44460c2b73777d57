"""What a post is about, aspect by aspect: 质量, 物流, 客服, 售后, 价格, 包装, 性能, 安全, 虚假宣传 ...

An aspect is found by its words (`nlp/data/aspects.tsv`, author-written, plus `nlp.aspect_terms`
and each topic's `aspects:` in config.yaml), not by a model: a brand team has to be able to read
why a post counts as a complaint about 售后 and to add its own words. The aspect's sentiment is
the sentiment model's (nlp/sentiment.py), read on the clause that holds the word rather than on
the whole post, so "质量不错，就是物流太慢" is positive about 质量 and negative about 物流.

`Aspects.find(text, topics)` returns the mentions; the caller scores their clauses in the same
model batch as the posts (pipelines/enrich.py, nlp/score_stream.py) and builds the stored
`aspects` with `entries()`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

DATA = Path(__file__).resolve().parent / "data"
# A clause ends at any sentence or clause punctuation; 但/但是/就是/可是 start a new one because
# the opinion after them usually turns ("外观好看，但是续航太差").
_CLAUSE = re.compile(r"[，,。！!？?；;…～~\n]+|\s{2,}|(?=但是|可是|就是|不过|然而)")
# ...and the connective itself is dropped from the clause the model reads: it marks the turn, not
# the clause's own polarity ("就是物流太慢了" scored neutral, "物流太慢了" negative).
_LEAD = re.compile(r"^\s*(?:但是|可是|就是|不过|然而)\s*")
MAX_CLAUSE = 60       # a clause longer than this is cut around the term (no punctuation at all)
MAX_PER_POST = 12     # mentions kept per post (first ones); a long article names everything


class AspectError(ValueError):
    pass


@dataclass(frozen=True)
class Mention:
    aspect: str
    term: str
    clause: str


def read_terms(path: Path = DATA / "aspects.tsv") -> dict[str, str]:
    """term -> aspect from an `aspect<TAB>term term ...` file; a term under two aspects is refused."""
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        aspect, tab, terms = line.partition("\t")
        if not tab or not aspect.strip() or not terms.split():
            raise AspectError(f"{path}:{n}: expected 'aspect<TAB>term term ...', got {line!r}")
        for t in terms.split():
            t = t.lower()
            if out.get(t, aspect) != aspect:
                raise AspectError(f"{path}:{n}: {t!r} is under both {out[t]!r} and {aspect!r}; keep it under one")
            out[t] = aspect.strip()
    return out


def merge_terms(base: dict[str, str], extra: dict[str, list[str]], where: str) -> dict[str, str]:
    """`extra` (aspect -> terms, from config) over `base`: a configured term moves to the configured
    aspect; one term under two configured aspects is an error naming `where`."""
    out = dict(base)
    mine: dict[str, str] = {}
    for aspect, terms in extra.items():
        for t in terms:
            t = t.strip().lower()
            if mine.get(t, aspect) != aspect:
                raise AspectError(f"{where}: {t!r} is listed under both {mine[t]!r} and {aspect!r}; keep it under one")
            mine[t] = out[t] = aspect
    return out


class Matcher:
    """One compiled alternation of every term, longest first (做工粗糙 before 做工)."""

    def __init__(self, terms: dict[str, str]):
        self.terms = terms
        alts = sorted(terms, key=len, reverse=True)
        self.rx = re.compile("|".join(map(re.escape, alts))) if alts else None

    def find(self, text: str) -> list[Mention]:
        if self.rx is None or not text:
            return []
        low = text.lower()
        out: list[Mention] = []
        seen: set[tuple[str, str]] = set()
        for clause in _CLAUSE.split(low):
            if len(out) >= MAX_PER_POST:
                break
            for m in self.rx.finditer(clause):
                aspect = self.terms[m.group()]
                if (aspect, clause) in seen:
                    continue
                seen.add((aspect, clause))
                out.append(Mention(aspect, m.group(), _LEAD.sub("", _around(clause, m.start(), m.end())).strip()))
        return out[:MAX_PER_POST]


def _around(clause: str, start: int, end: int) -> str:
    if len(clause) <= MAX_CLAUSE:
        return clause
    half = (MAX_CLAUSE - (end - start)) // 2
    lo = max(0, start - half)
    return clause[lo:lo + MAX_CLAUSE]


class Aspects:
    """The shipped terms, the deployment's (`nlp.aspect_terms`) and each topic's (`topics[].aspects`);
    a post sees the topic terms of the topics it belongs to."""

    def __init__(self, base: dict[str, str], per_topic: dict[str, dict[str, list[str]]] | None = None):
        self.base = base
        self.per_topic = {k: v for k, v in (per_topic or {}).items() if v}
        self._default = Matcher(base)
        for name, extra in self.per_topic.items():  # fail at start-up, not on the first post of that topic
            merge_terms(base, extra, f"topics.{name}.aspects")

    @classmethod
    def from_config(cls, cfg) -> "Aspects":
        base = merge_terms(read_terms(), cfg.nlp.aspect_terms, "nlp.aspect_terms")
        return cls(base, {t.name: t.aspects for t in getattr(cfg, "topics", [])})

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(self.base.values()))

    def find(self, text: str, topics: Iterable[str] = ()) -> list[Mention]:
        own = tuple(sorted(t for t in topics if t in self.per_topic))
        return (self._matcher(own) if own else self._default).find(text)

    @lru_cache(maxsize=64)
    def _matcher(self, topics: tuple[str, ...]) -> Matcher:
        terms = self.base
        for t in topics:
            terms = merge_terms(terms, self.per_topic[t], f"topics.{t}.aspects")
        return Matcher(terms)


def entries(mentions: list[Mention], scores: list[tuple[float, str, float]]) -> list[dict]:
    """The stored `aspects`: one entry per (aspect, clause), with the clause's model sentiment."""
    return [{"aspect": m.aspect, "sentiment": label, "score": None if s is None else round(float(s), 4), "text": m.clause}
            for m, (s, label, _) in zip(mentions, scores)]


def negative(aspects: list[dict]) -> list[str]:
    """Aspects spoken of negatively at least once, each once: the flat field Kibana and the
    alerts aggregate (Lens cannot aggregate inside nested objects)."""
    return list(dict.fromkeys(a["aspect"] for a in aspects if a.get("sentiment") == "negative"))
