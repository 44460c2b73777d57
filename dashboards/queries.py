"""The report's aggregations over posts (`ReportQueries(store)`), built on `store.posts`' filters.

A report needs many numbers for one period; asking for them in one search keeps a daily report
to a handful of round trips however many panels it has. Histograms bucket in the reader's time
zone so a weekly report's bars are calendar days in Asia/Shanghai, not UTC days.
"""
from __future__ import annotations

from datetime import datetime, timezone

LABELS = ("negative", "neutral", "positive")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


class ReportQueries:
    def __init__(self, store):
        self.store = store
        self.posts = store.posts

    def _search(self, **kw) -> dict:
        return self.store.search(self.store.posts_pattern, **kw)

    def _report_query(self, topic: str | list[str] | None, start: datetime, end: datetime, dedup: bool) -> dict:
        """A topic, several topics (posts in any of them, each counted once) or everything."""
        if isinstance(topic, (list, tuple)):
            f = self.posts.filters(None, start, end) + [{"terms": {"topics": list(topic)}}]
        else:
            f = self.posts.filters(topic, start, end)
        return self.posts.query(f, dedup)

    def period_stats(self, topic: str | list[str] | None, start: datetime, end: datetime, interval: str = "1h",
                     tz: str = "UTC", keywords: int = 30, dedup: bool = True) -> dict:
        """Totals, per-label and per-platform counts, a per-label timeline and keyword counts.

        Returns {"total", "labels": {label: n}, "platforms": {p: n},
        "timeline": [(bucket_start_utc, {label: n})], "keywords": {kw: n}, "keyword_field",
        "negative_aspects": {aspect: posts negative about it}, "aspect_negative_posts": posts negative
        about any aspect, "emotions": {class: posts expressing it}}.
        """
        q = self._report_query(topic, start, end, dedup)
        label_terms = {"terms": {"field": "sentiment_label", "size": 5, "missing": "unknown"}}
        r = self._search(size=0, track_total_hits=True, query=q, aggs={
            "labels": label_terms,
            "platforms": {"terms": {"field": "platform", "size": 20}},
            "timeline": {"date_histogram": {"field": "published_at", "fixed_interval": interval, "time_zone": tz,
                                            "min_doc_count": 0,
                                            "extended_bounds": {"min": _iso(start), "max": _iso(end)}},
                         "aggs": {"l": label_terms}},
            "keywords": {"terms": {"field": "keywords", "size": keywords}},
            "tokens": {"terms": {"field": "tokens", "size": keywords}},
            "negative_aspects": {"terms": {"field": "negative_aspects", "size": 10}},
            "any_aspect": {"filter": {"exists": {"field": "negative_aspects"}}},
            "emotions": {"terms": {"field": "emotions", "size": 7}},
        })
        aggs = r.get("aggregations", {})

        def buckets(name: str, src: dict | None = None) -> dict[str, int]:
            return {b["key"]: b["doc_count"] for b in (src or aggs).get(name, {}).get("buckets", [])}

        timeline = []
        for b in aggs.get("timeline", {}).get("buckets", []):
            if _ts(b["key"]) < end:
                timeline.append((_ts(b["key"]), buckets("l", b)))
        kw_field = "keywords" if buckets("keywords") or not buckets("tokens") else "tokens"
        return {"total": int(r.get("hits", {}).get("total", {}).get("value", 0)), "labels": buckets("labels"),
                "platforms": buckets("platforms"), "timeline": timeline, "keywords": buckets(kw_field),
                "keyword_field": kw_field, "negative_aspects": buckets("negative_aspects"),
                "aspect_negative_posts": int(aggs.get("any_aspect", {}).get("doc_count", 0)),
                "emotions": buckets("emotions")}

    def term_doc_counts(self, topic: str | list[str] | None, start: datetime, end: datetime, field: str, values: list[str],
                        dedup: bool = True) -> dict[str, int]:
        """How many posts carry each of `values` in `field` (for rising keywords: the earlier period)."""
        if not values:
            return {}
        q = self._report_query(topic, start, end, dedup)
        r = self._search(size=0, query=q, aggs={
            "t": {"terms": {"field": field, "include": values, "size": len(values)}}})
        got = {b["key"]: b["doc_count"] for b in r.get("aggregations", {}).get("t", {}).get("buckets", [])}
        return {v: got.get(v, 0) for v in values}
