"""Read-side aggregations over posts: `store.posts` (kept apart so store.py stays small).

Callers (alert rules, reports) ask in field language: a topic, a time range, negative only or
not, near-duplicates counted once or not. Windows are half-open [start, end) in UTC, so adjacent
windows never count a post twice.
"""
from __future__ import annotations

from datetime import datetime, timezone

ENGAGEMENT = ("likes", "comments", "reposts")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


class PostQueries:
    """The posts' query DSL in field language; every request goes through the store's `search`."""

    def __init__(self, store):
        self.store = store

    def filters(self, topic: str | None, start: datetime | None, end: datetime | None,
                 negative_only: bool = False, dedup: bool = True, match: dict[str, str] | None = None) -> list[dict]:
        """`match`: exact values of keyword fields, e.g. {"negative_aspects": "售后"} or {"emotions": "怒"}."""
        f: list[dict] = [{"term": {k: v}} for k, v in (match or {}).items()]
        if topic:
            f.append({"term": {"topics": topic}})
        if start or end:
            r: dict = {}
            if start:
                r["gte"] = _iso(start)
            if end:
                r["lt"] = _iso(end)
            f.append({"range": {"published_at": r}})
        if negative_only:
            f.append({"term": {"sentiment_label": "negative"}})
        return f

    def query(self, filters: list[dict], dedup: bool) -> dict:
        q: dict = {"filter": filters}
        if dedup:
            q["must_not"] = [{"exists": {"field": "dup_of"}}]
        return {"bool": q}

    def _search(self, **kw) -> dict:
        return self.store.search(self.store.posts_pattern, **kw)

    def counts(self, topic: str | None, start: datetime, end: datetime, interval: str = "1h",
               negative_only: bool = False, dedup: bool = True) -> list[tuple[datetime, int]]:
        """Posts per fixed interval (e.g. "15m", "1h", "1d") between start and end, empty buckets included."""
        r = self._search(size=0, query=self.query(self.filters(topic, start, end, negative_only), dedup), aggs={
            "t": {"date_histogram": {"field": "published_at", "fixed_interval": interval, "min_doc_count": 0,
                                     "extended_bounds": {"min": _iso(start), "max": _iso(end)}}}})
        buckets = r.get("aggregations", {}).get("t", {}).get("buckets", [])
        return [(datetime.fromtimestamp(b["key"] / 1000, tz=timezone.utc), b["doc_count"]) for b in buckets
                if datetime.fromtimestamp(b["key"] / 1000, tz=timezone.utc) < end]

    def window_counts(self, topic: str | None, windows: list[tuple[datetime, datetime]],
                      negative_only: bool = False, dedup: bool = True, match: dict[str, str] | None = None) -> list[int]:
        """Post counts for arbitrary windows in one round trip (a seasonal baseline needs the same
        hour on past days, which no fixed histogram gives)."""
        if not windows:
            return []
        named = {str(i): {"range": {"published_at": {"gte": _iso(s), "lt": _iso(e)}}} for i, (s, e) in enumerate(windows)}
        r = self._search(size=0, query=self.query(self.filters(topic, None, None, negative_only, match=match), dedup),
                         aggs={"w": {"filters": {"filters": named}}})
        b = r.get("aggregations", {}).get("w", {}).get("buckets", {})
        return [int(b.get(str(i), {}).get("doc_count", 0)) for i in range(len(windows))]

    def window_sums(self, topic: str | None, windows: list[tuple[datetime, datetime]], fields: list[str],
                    negative_only: bool = False, dedup: bool = True,
                    match: dict[str, str] | None = None) -> list[dict[str, float]]:
        """Per window: the post count and the sum of each numeric field (engagement, followers),
        for measures weighted by reach."""
        if not windows:
            return []
        named = {str(i): {"range": {"published_at": {"gte": _iso(s), "lt": _iso(e)}}} for i, (s, e) in enumerate(windows)}
        r = self._search(size=0, query=self.query(self.filters(topic, None, None, negative_only, match=match), dedup),
                         aggs={"w": {"filters": {"filters": named}, "aggs": {f: {"sum": {"field": f}} for f in fields}}})
        b = r.get("aggregations", {}).get("w", {}).get("buckets", {})
        out = []
        for i in range(len(windows)):
            w = b.get(str(i), {})
            out.append({"count": int(w.get("doc_count", 0)), **{f: float(w.get(f, {}).get("value") or 0) for f in fields}})
        return out

    def term_counts(self, topic: str | None, start: datetime, end: datetime, terms: list[str],
                    negative_only: bool = True, dedup: bool = True) -> tuple[int, dict[str, int]]:
        """Posts naming any of `terms` (as a phrase in title or text), and per-term counts."""
        if not terms:
            return 0, {}

        def phrase(t: str) -> dict:
            return {"multi_match": {"query": t, "type": "phrase", "fields": ["text", "title"]}}

        base = self.filters(topic, start, end, negative_only)
        q = self.query(base + [{"bool": {"should": [phrase(t) for t in terms], "minimum_should_match": 1}}], dedup)
        r = self._search(size=0, track_total_hits=True, query=q,
                         aggs={"t": {"filters": {"filters": {t: phrase(t) for t in terms}}}})
        total = r.get("hits", {}).get("total", {}).get("value", 0)
        b = r.get("aggregations", {}).get("t", {}).get("buckets", {})
        return int(total), {t: int(b.get(t, {}).get("doc_count", 0)) for t in terms}

    def top_posts(self, topic: str | None, start: datetime, end: datetime, n: int = 5, negative_only: bool = True,
                  dedup: bool = True, min_followers: int | None = None, min_engagement: int | None = None,
                  label: str | None = None) -> list[dict]:
        """The posts people should read first, by engagement (likes + comments + reposts); only
        those with sentiment `label` when given.

        With min_followers / min_engagement, only posts by such authors or with such engagement
        are returned. The server core has no scripts, so candidates are pre-filtered on each
        counter (a sum >= E needs one counter >= E/3) and ranked here.
        """
        filters = self.filters(topic, start, end, negative_only)
        if label:
            filters.append({"term": {"sentiment_label": label}})
        should: list[dict] = []
        if min_followers:
            should.append({"range": {"author_followers": {"gte": min_followers}}})
        if min_engagement:
            should += [{"range": {f: {"gte": -(-min_engagement // 3)}}} for f in ENGAGEMENT]
        if should:
            filters.append({"bool": {"should": should, "minimum_should_match": 1}})
        size = max(n * 10, 50)
        hits = []
        for key in ENGAGEMENT:  # a few sorts cover posts strong on any one counter
            r = self._search(size=size, query=self.query(filters, dedup),
                             sort=[{key: {"order": "desc", "missing": "_last"}}, {"published_at": "desc"}])
            hits += r.get("hits", {}).get("hits", [])
            if len(r.get("hits", {}).get("hits", [])) < size:
                break  # every candidate already seen
        seen: dict[str, dict] = {}
        for h in hits:
            seen.setdefault(h["_id"], h["_source"])
        posts = list(seen.values())
        for p in posts:
            p["engagement"] = sum(int(p.get(f) or 0) for f in ENGAGEMENT)
        if min_followers or min_engagement:
            posts = [p for p in posts if (min_followers and (p.get("author_followers") or 0) >= min_followers)
                     or (min_engagement and p["engagement"] >= min_engagement)]
        posts.sort(key=lambda p: (p["engagement"], p.get("published_at", "")), reverse=True)
        return posts[:n]

    def top_keywords(self, topic: str | None, start: datetime, end: datetime, n: int = 10,
                     negative_only: bool = True, dedup: bool = True) -> list[str]:
        """Most frequent extracted keywords (falling back to tokens when NLP stored none)."""
        q = self.query(self.filters(topic, start, end, negative_only), dedup)
        r = self._search(size=0, query=q, aggs={f: {"terms": {"field": f, "size": n}} for f in ("keywords", "tokens")})
        aggs = r.get("aggregations", {})
        for f in ("keywords", "tokens"):
            keys = [b["key"] for b in aggs.get(f, {}).get("buckets", [])]
            if keys:
                return keys
        return []

    def negative_aspects(self, topic: str | None, start: datetime, end: datetime, n: int = 5,
                         dedup: bool = True) -> tuple[int, list[tuple[str, int]]]:
        """Posts negative about at least one aspect, and the aspects they are most often negative
        about with their post counts (nlp/aspects.py; a post counts once per aspect)."""
        f = self.filters(topic, start, end) + [{"exists": {"field": "negative_aspects"}}]
        r = self._search(size=0, track_total_hits=True, query=self.query(f, dedup),
                         aggs={"a": {"terms": {"field": "negative_aspects", "size": n}}})
        total = int(r.get("hits", {}).get("total", {}).get("value", 0))
        return total, [(b["key"], int(b["doc_count"])) for b in r.get("aggregations", {}).get("a", {}).get("buckets", [])]
