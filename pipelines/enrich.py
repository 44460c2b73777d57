"""Batch stage: tokens, keywords, hashtags, simhash / near-duplicate links, sentiment, aspects
and emotions.

Runs at the chain's end, before the store, so the model sees whole batches.

Decisions worth knowing:
- Sentiment comes only from the model (nlp/sentiment.py). If it cannot be imported or loaded,
  posts are still enriched and stored, sentiment stays empty, and the reason is logged once at
  start-up and in the summary: an empty field can be filled later, a made-up score cannot be
  told apart from a real one. `nlp.sentiment: false` skips the model on purpose.
- A post that arrives with a sentiment (an import from another tool, a hand-corrected label)
  keeps it unless `nlp.rescore: true`; its tokens, keywords and simhash are computed as usual.
- `dup_of` points at the first seen copy (the root), never at another copy, so counting
  "once per root" is one `exists` filter. Earlier copies are looked up in Elasticsearch within
  `nlp.dup_window_days`; if the store is unreachable the run still links copies within itself.
- Aspects (nlp/aspects.py) are found on every post and their clauses scored in the same model
  batch as the posts; without a model they are stored without sentiment. Emotions
  (nlp/emotions.py) need no model.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from nlp.analyse import Analyser, score
from nlp.aspects import Mention, entries, negative
from nlp.docs import find_simhash_keys
from nlp.sentiment import load_scorer
from nlp.simhash import DupIndex, band_keys, from_hex, to_hex
from pipelines.chain import Report
from yuqing.post import AspectMention, Post
from yuqing.store import StoreError

log = logging.getLogger(__name__)


class Enrich:
    def __init__(self, cfg, analyser: Analyser, scorer=None, scorer_problem: str | None = None, store=None):
        self.cfg = cfg
        self.analyser = analyser
        self.scorer = scorer
        self.scorer_problem = scorer_problem
        self.store = store
        self.index = DupIndex()
        self.store_lookup = store is not None
        self.seen = self.linked = self.scored = 0

    @classmethod
    def from_config(cls, cfg, store=None) -> "Enrich":
        from yuqing.store import Store

        if not cfg.nlp.sentiment:
            log.info("sentiment is off (nlp.sentiment: false); tokens, keywords and near-duplicates only")
            return cls(cfg, Analyser.from_config(cfg), None, "off in config (nlp.sentiment: false)",
                       store or Store(cfg.elasticsearch))
        scorer, problem = load_scorer(cfg)
        if problem:
            log.warning("sentiment is skipped: %s; posts are stored without it (run `yuqing model build`)",
                        problem)
        return cls(cfg, Analyser.from_config(cfg), scorer, problem, store or Store(cfg.elasticsearch))

    def process_batch(self, posts: list[Post], report: Report) -> list[Post]:
        texts: dict[int, str] = {}
        hashes: list[int] = []
        mentions: list[list[Mention]] = []
        for i, p in enumerate(posts):
            a = self.analyser.analyse(p.text, p.title, p.topics)
            p.emotions = a.emotions
            mentions.append(a.mentions)
            p.tokens = a.tokens
            p.keywords = a.keywords
            p.tags = list(dict.fromkeys([*p.tags, *a.cleaned.tags]))
            p.simhash = to_hex(a.simhash)
            long_enough = len(a.cleaned.core) >= self.cfg.nlp.dup_min_chars
            p.simhash_keys = band_keys(a.simhash) if long_enough else []
            hashes.append(a.simhash if long_enough else -1)
            if p.sentiment is None or self.cfg.nlp.rescore:
                texts[i] = a.text
        self._link(posts, hashes)
        self._score(posts, texts, mentions)
        self.seen += len(posts)
        return posts

    def _link(self, posts: list[Post], hashes: list[int]) -> None:
        todo = [(p, h) for p, h in zip(posts, hashes) if h >= 0]
        if not todo:
            return
        self._load_earlier(todo)
        for p, h in todo:
            best = self.index.nearest(h, exclude=p.doc_id)
            if best is not None:
                p.dup_of = best[1]
                self.linked += 1
            self.index.add(h, p.dup_of or p.doc_id, p.doc_id)

    def _load_earlier(self, todo: list[tuple[Post, int]]) -> None:
        """Put earlier copies from the store into the in-process index (oldest first)."""
        if not self.store_lookup:
            return
        since = min(p.published_at for p, _ in todo) - timedelta(days=self.cfg.nlp.dup_window_days)
        keys = [k for p, _ in todo for k in p.simhash_keys]
        try:
            found = find_simhash_keys(self.store, keys, since)
        except StoreError as e:
            log.warning("near-duplicate lookup in Elasticsearch failed (%s); linking copies within this run only",
                        type(e).__name__)
            self.store_lookup = False
            return
        # A post of this batch stored by an earlier run comes back too; `nearest(exclude=...)`
        # keeps it from matching itself while its copies still find it.
        for c in found:
            try:
                self.index.add(from_hex(c["simhash"]), c.get("dup_of") or c["doc_id"], c["doc_id"])
            except ValueError:
                log.debug("ignoring malformed simhash on %s", c["doc_id"])

    def _score(self, posts: list[Post], texts: dict[int, str], mentions: list[list[Mention]]) -> None:
        unscored = [entries(ms, [(None, None, None)] * len(ms)) for ms in mentions]
        if self.scorer is None or not (texts or any(mentions)):
            self._aspects(posts, unscored)
            return
        try:
            results, aspects = score(self.scorer, [texts.get(i) for i in range(len(posts))], mentions)
        except Exception as e:  # the model failing must not cost the batch: store it unscored
            log.error("sentiment scoring failed for a batch of %d posts (%s: %s); stored without sentiment",
                      len(texts), type(e).__name__, e)
            self._aspects(posts, unscored)
            return
        for p, r in zip(posts, results):
            if r is not None:
                p.sentiment, p.sentiment_label, p.sentiment_confidence = r
        self._aspects(posts, aspects)
        self.scored += len(texts)

    @staticmethod
    def _aspects(posts: list[Post], aspects: list[list[dict]]) -> None:
        for p, found in zip(posts, aspects):
            p.aspects = [AspectMention(**a) for a in found]
            p.negative_aspects = negative(found)

    def close(self) -> None:
        if not self.seen:
            return
        why = f"; sentiment skipped: {self.scorer_problem}" if self.scorer_problem else ""
        log.info("enrich: %d posts, %d linked to an earlier copy, %d scored%s", self.seen, self.linked,
                 self.scored, why)
