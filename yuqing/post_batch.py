"""Counts of posts for many topics and windows in a constant number of requests (issue 17).

The alert engine asks, for every topic and rule of a cycle, how many posts (negative ones, ones
naming a sensitive term, ones by big accounts ...) fell in each of its windows. `window_table`
answers all of it in ONE multi-search: per `Series` (which posts count), one search with a
`filters` aggregation over the windows and a `terms` sub-aggregation over the topics (split
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
    """What `window_table` measured, per series a matrix topics × windows per field (the count
    and each summed field). `get(series, topics, start, end)` reads one window for many topics;
    a series whose search the node refused raises that StoreError when read (the other series
    still answer)."""

    def __init__(self):
        self.cols: dict[Series, tuple[dict[str, int], dict[Window, int], dict[str, np.ndarray]]] = {}
        self.failed: dict[Series, StoreError] = {}

    def rows(self, series: Series, topics: list[str]) -> np.ndarray:
        tix = self.cols[series][0] if series in self.cols else {}
        return np.array([tix[t] for t in topics], dtype=np.int64)

    def get(self, series: Series, rows: np.ndarray, start: datetime, end: datetime) -> dict[str, np.ndarray]:
        if series in self.failed:
            raise self.failed[series]
        _, wix, arrays = self.cols[series]
        c = wix[(start, end)]
        return {f: a[rows, c] for f, a in arrays.items()}


def window_table(store, asks: dict[Series, tuple[list[str], list[Window]]]) -> Table:
    """Every series for its topics and windows, in one multi-search."""
    table = Table()
    bodies, meta = [], []
    for series, (topics, windows) in asks.items():
        topics, windows = sorted(set(topics)), sorted(set(windows))
        table.cols[series] = ({t: i for i, t in enumerate(topics)}, {w: i for i, w in enumerate(windows)},
                              {f: np.zeros((len(topics), len(windows))) for f in ("count", *series.fields)})
        if not topics or not windows:
            continue
        named = {str(i): {"range": {"published_at": {"gte": _iso(s), "lt": _iso(e)}}} for i, (s, e) in enumerate(windows)}
        sums = {f: {"sum": {"field": f}} for f in series.fields}
        per = max(1, BUCKETS_PER_SEARCH // (len(windows) + 1))
        lo, hi = windows[0][0], max(e for _, e in windows)
        for i in range(0, len(topics), per):
            chunk = topics[i:i + per]
            q = store.posts.query(series.filters(store.posts, None, lo, hi) + [{"terms": {"topics": chunk}}],
                                  series.dedup)
            # Windows outside, topics inside: each window is one range over the index's points,
            # and the topics are counted within it (faster than every window tested per post).
            bodies.append({"size": 0, "query": q, "aggs": {"w": {"filters": {"filters": named}, "aggs": {"t": {
                "terms": {"field": "topics", "include": chunk, "size": len(chunk)}, "aggs": sums}}}}})
            meta.append(series)
    for series, r in zip(meta, store.msearch(store.posts_pattern, bodies)):
        if isinstance(r, StoreError):
            table.failed[series] = r
            continue
        tix, _, arrays = table.cols[series]
        for c, wb in r.get("aggregations", {}).get("w", {}).get("buckets", {}).items():
            for tb in wb["t"]["buckets"]:
                if tb["key"] in tix:  # a post of several topics is counted under each asked for
                    for f, v in series.row(tb).items():
                        arrays[f][tix[tb["key"]], int(c)] = v
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

    def get(self, series: Series, start: datetime, end: datetime, every: timedelta, n: int) -> dict[str, np.ndarray]:
        """The window [start, end) and the `n - 1` windows after it, each `every` later."""
        if series in self.failed:
            raise self.failed[series]
        i, j = self.index(start), self.index(end)
        r, rem = divmod(every / timedelta(microseconds=1), self.step / timedelta(microseconds=1))
        if rem or j + int(r) * (n - 1) > self.n:
            raise ValueError(f"steps of {every} from {start.isoformat()} leave the backtest grid")
        r = int(r)
        return {f: a[j:j + r * (n - 1) + 1:r] - a[i:i + r * (n - 1) + 1:r] for f, a in self.prefix[series].items()}


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
