"""Aggregations for reports and charts, mixed into `Store` next to `PostQueries`.

A report needs many numbers for one period; asking for them in one search keeps a daily report
to a handful of round trips however many panels it has. Histograms bucket in the reader's time
zone so a weekly report's bars are calendar days in Asia/Shanghai, not UTC days.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

LABELS = ("negative", "neutral", "positive")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


class ReportQueries:
    es: Any
    alerts_index: str

    def _report_query(self, topic: str | list[str] | None, start: datetime, end: datetime, dedup: bool) -> dict:
        """A topic, several topics (posts in any of them, each counted once) or everything."""
        if isinstance(topic, (list, tuple)):
            f = self._filters(None, start, end) + [{"terms": {"topics": list(topic)}}]  # type: ignore[attr-defined]
        else:
            f = self._filters(topic, start, end)  # type: ignore[attr-defined]
        return self._bool(f, dedup)  # type: ignore[attr-defined]

    def period_stats(self, topic: str | list[str] | None, start: datetime, end: datetime, interval: str = "1h",
                     tz: str = "UTC", keywords: int = 30, dedup: bool = True) -> dict:
        """Totals, per-label and per-platform counts, a per-label timeline and keyword counts.

        Returns {"total", "labels": {label: n}, "platforms": {p: n},
        "timeline": [(bucket_start_utc, {label: n})], "keywords": {kw: n}, "keyword_field"}.
        """
        q = self._report_query(topic, start, end, dedup)
        label_terms = {"terms": {"field": "sentiment_label", "size": 5, "missing": "unknown"}}
        r = self._search(size=0, track_total_hits=True, query=q, aggs={  # type: ignore[attr-defined]
            "labels": label_terms,
            "platforms": {"terms": {"field": "platform", "size": 20}},
            "timeline": {"date_histogram": {"field": "published_at", "fixed_interval": interval, "time_zone": tz,
                                            "min_doc_count": 0,
                                            "extended_bounds": {"min": _iso(start), "max": _iso(end)}},
                         "aggs": {"l": label_terms}},
            "keywords": {"terms": {"field": "keywords", "size": keywords}},
            "tokens": {"terms": {"field": "tokens", "size": keywords}},
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
                "keyword_field": kw_field}

    def term_doc_counts(self, topic: str | list[str] | None, start: datetime, end: datetime, field: str, values: list[str],
                        dedup: bool = True) -> dict[str, int]:
        """How many posts carry each of `values` in `field` (for rising keywords: the earlier period)."""
        if not values:
            return {}
        q = self._report_query(topic, start, end, dedup)
        r = self._search(size=0, query=q, aggs={  # type: ignore[attr-defined]
            "t": {"terms": {"field": field, "include": values, "size": len(values)}}})
        got = {b["key"]: b["doc_count"] for b in r.get("aggregations", {}).get("t", {}).get("buckets", [])}
        return {v: got.get(v, 0) for v in values}

    def top_labelled(self, topic: str | None, start: datetime, end: datetime, label: str, n: int = 5,
                     dedup: bool = True) -> list[dict]:
        """The most-engaged posts with one sentiment label (engagement = likes + comments + reposts).

        No scripts on this server core, so the candidates are the top posts by each counter,
        ranked here by their sum.
        """
        q = self._bool(self._filters(topic, start, end) + [{"term": {"sentiment_label": label}}], dedup)  # type: ignore[attr-defined]
        seen: dict[str, dict] = {}
        for key in ("likes", "comments", "reposts"):
            r = self._search(size=max(n * 5, 20), query=q,  # type: ignore[attr-defined]
                             sort=[{key: {"order": "desc", "missing": "_last"}}, {"published_at": "desc"}])
            for h in r.get("hits", {}).get("hits", []):
                seen.setdefault(h["_id"], h["_source"])
        posts = list(seen.values())
        for p in posts:
            p["engagement"] = sum(int(p.get(f) or 0) for f in ("likes", "comments", "reposts"))
        posts.sort(key=lambda p: (p["engagement"], p.get("published_at", "")), reverse=True)
        return posts[:n]

    def alerts_between(self, start: datetime, end: datetime, topics: list[str] | None = None,
                       size: int = 200) -> list[dict]:
        """Recorded alerts fired in [start, end), oldest first; [] when none was ever recorded."""
        f: list[dict] = [{"range": {"fired_at": {"gte": _iso(start), "lt": _iso(end)}}}]
        if topics:
            f.append({"terms": {"topic": topics}})
        try:
            # Alerts are recorded by another process moments before a report may be asked for.
            self.es.indices.refresh(index=self.alerts_index, ignore_unavailable=True, allow_no_indices=True)
            r = self.es.search(index=self.alerts_index, size=size, query={"bool": {"filter": f}},
                               sort=[{"fired_at": "asc"}], ignore_unavailable=True, allow_no_indices=True)
        except Exception as e:  # an alerts index without fired_at mapped yet: nothing to report
            if "No mapping found" in str(e):
                return []
            raise
        return [h["_source"] for h in r.body.get("hits", {}).get("hits", [])]
