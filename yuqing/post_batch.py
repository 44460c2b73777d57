"""Counts of posts for many topics and windows in a constant number of requests (issue 17).

The alert engine asks, for every topic and rule of a cycle, how many posts (negative ones, ones
naming a sensitive term, ones by big accounts ...) fell in each of its windows. `window_table`
answers all of it in ONE multi-search: per `Series` (which posts count), one search with a
`terms` aggregation over the topics and a `filters` sub-aggregation over the windows (split
into a few searches of the same multi-search when topics × windows would pass the node's bucket
limit). `histograms` serves backtests: one topic's series as date histograms over a whole range,
fetched once; any window on the grid is then a difference of prefix sums, in memory.

Windows are half-open [start, end) in UTC, as in yuqing/post_queries.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from yuqing.es_client import StoreError
from yuqing.post_queries import ENGAGEMENT, _iso

BUCKETS_PER_SEARCH = 30_000  # well under search.max_buckets (65,536)


@dataclass(frozen=True)
class Series:
    """Which posts a count counts: negative only or all; exact keyword values (`match`, e.g.
    negative_aspects=售后); posts naming any of `terms`; candidates by reach (author followers
    or any engagement counter past its share of `min_engagement`); `fields` summed alongside."""

    negative_only: bool = False
    match: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    min_followers: int | None = None
    min_engagement: int | None = None
    dedup: bool = True

    def filters(self, posts, topic: str | None, start: datetime | None, end: datetime | None) -> list[dict]:
        f = posts.filters(topic, start, end, self.negative_only, match=dict(self.match))
        if self.terms:
            f.append({"bool": {"should": [{"multi_match": {"query": t, "type": "phrase", "fields": ["text", "title"]}}
                                          for t in self.terms], "minimum_should_match": 1}})
        should: list[dict] = []
        if self.min_followers:
            should.append({"range": {"author_followers": {"gte": self.min_followers}}})
        if self.min_engagement:
            should += [{"range": {f: {"gte": -(-self.min_engagement // 3)}}} for f in ENGAGEMENT]
        if should:
            f.append({"bool": {"should": should, "minimum_should_match": 1}})
        return f

    def row(self, bucket: dict) -> dict[str, float]:
        return {"count": int(bucket.get("doc_count", 0)),
                **{f: float(bucket.get(f, {}).get("value") or 0) for f in self.fields}}

    def empty(self) -> dict[str, float]:
        return {"count": 0, **{f: 0.0 for f in self.fields}}


Window = tuple[datetime, datetime]


class Table:
    """What `window_table` measured: `get(series, topic, start, end)`; a series whose search the
    node refused raises that StoreError when read (the other series still answer)."""

    def __init__(self):
        self.rows: dict[tuple, dict[str, float]] = {}
        self.failed: dict[Series, StoreError] = {}
        self.asked: set[tuple] = set()

    def get(self, series: Series, topic: str, start: datetime, end: datetime) -> dict[str, float]:
        if series in self.failed:
            raise self.failed[series]
        key = (series, topic, start, end)
        if key not in self.asked:
            raise KeyError(f"window {start}–{end} of {topic} was not measured")
        return self.rows.get(key) or series.empty()


def window_table(store, asks: dict[Series, dict[str, set[Window]]]) -> Table:
    """Every (series, topic, window) asked for, in one multi-search."""
    bodies, meta = [], []
    for series, per_topic in asks.items():
        windows = sorted(set().union(*per_topic.values())) if per_topic else []
        if not windows:
            continue
        topics = sorted(per_topic)
        named = {str(i): {"range": {"published_at": {"gte": _iso(s), "lt": _iso(e)}}} for i, (s, e) in enumerate(windows)}
        sub = {"w": {"filters": {"filters": named}, "aggs": {f: {"sum": {"field": f}} for f in series.fields}}}
        per = max(1, BUCKETS_PER_SEARCH // (len(windows) + 1))
        lo, hi = min(s for s, _ in windows), max(e for _, e in windows)
        for i in range(0, len(topics), per):
            chunk = topics[i:i + per]
            q = store.posts.query(series.filters(store.posts, None, lo, hi) + [{"terms": {"topics": chunk}}],
                                  series.dedup)
            bodies.append({"size": 0, "query": q, "aggs": {"t": {"terms": {
                "field": "topics", "include": chunk, "size": len(chunk)}, "aggs": sub}}})
            meta.append((series, windows))
    table = Table()
    for series, per_topic in asks.items():
        table.asked |= {(series, t, s, e) for t, ws in per_topic.items() for s, e in ws}
    for (series, windows), r in zip(meta, store.msearch(store.posts_pattern, bodies) if bodies else []):
        if isinstance(r, StoreError):
            table.failed[series] = r
            continue
        for tb in r.get("aggregations", {}).get("t", {}).get("buckets", []):
            wb = tb["w"]["buckets"]
            for i, (s, e) in enumerate(windows):
                if str(i) in wb:
                    table.rows[(series, tb["key"], s, e)] = series.row(wb[str(i)])
    return table


class Grid:
    """One topic's series on a regular grid of `step` from `origin`: prefix sums per field, so
    the count of any window on the grid costs two lookups."""

    def __init__(self, origin: datetime, step: timedelta, n: int):
        self.origin, self.step, self.n = origin, step, n
        self.prefix: dict[Series, dict[str, np.ndarray]] = {}
        self.failed: dict[Series, StoreError] = {}

    def index(self, t: datetime) -> int:
        k, rem = divmod((t - self.origin) / timedelta(microseconds=1), self.step / timedelta(microseconds=1))
        if rem or not 0 <= k <= self.n:
            raise ValueError(f"{t.isoformat()} is not on the backtest grid ({self.origin.isoformat()} + k x {self.step})")
        return int(k)

    def get(self, series: Series, start: datetime, end: datetime) -> dict[str, float]:
        if series in self.failed:
            raise self.failed[series]
        i, j = self.index(start), self.index(end)
        p = self.prefix[series]
        out = {f: float(a[j] - a[i]) for f, a in p.items()}
        out["count"] = int(round(out["count"]))
        return out


def histograms(store, topic: str, series: list[Series], origin: datetime, end: datetime, step: timedelta) -> Grid:
    """`topic`'s posts of each series per `step` over [origin, end), in one multi-search (the
    range split into searches of at most BUCKETS_PER_SEARCH buckets; empty buckets not sent)."""
    n = -(-int((end - origin) / step))
    grid = Grid(origin, step, n)
    secs = int(step.total_seconds())
    if secs != step.total_seconds() or secs <= 0:
        raise ValueError(f"the histogram step must be whole seconds, not {step}")
    offset = int(origin.timestamp()) % secs
    span = step * BUCKETS_PER_SEARCH
    bodies, meta = [], []
    for s in series:
        t = origin
        while t < end:
            u = min(t + span, origin + n * step)
            hist = {"field": "published_at", "fixed_interval": f"{secs}s", "min_doc_count": 1}
            if offset:
                hist["offset"] = f"+{offset}s"
            bodies.append({"size": 0, "query": store.posts.query(s.filters(store.posts, topic, t, u), s.dedup),
                           "aggs": {"h": {"date_histogram": hist, "aggs": {f: {"sum": {"field": f}} for f in s.fields}}}})
            meta.append(s)
            t = u
    dense = {s: {f: np.zeros(n + 1) for f in ("count", *s.fields)} for s in series}
    for s, r in zip(meta, store.msearch(store.posts_pattern, bodies) if bodies else []):
        if isinstance(r, StoreError):
            grid.failed[s] = r
            continue
        for b in r.get("aggregations", {}).get("h", {}).get("buckets", []):
            k = grid.index(datetime.fromtimestamp(b["key"] / 1000, tz=timezone.utc))
            for f, v in s.row(b).items():
                dense[s][f][k + 1] += v
    for s, cols in dense.items():
        grid.prefix[s] = {f: np.cumsum(a) for f, a in cols.items()}
    return grid
