"""Crawl runs in `<prefix>-crawls`, mixed into `Store`: one document per spider and finished
crawl (written by `yuqing crawl`, which the scheduler runs too), read by the `source_down` alert
rule. A source that stops yielding (an expired login, a captcha wall, a changed layout) is only
visible across runs, so the runs are kept where a restarted daemon and a backtest find them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from elasticsearch import NotFoundError

CRAWLS_MAPPING = {"dynamic": False, "properties": {
    "spider": {"type": "keyword"}, "started_at": {"type": "date"}, "finished_at": {"type": "date"},
    "yielded": {"type": "boolean"}, "new": {"type": "integer"}, "updated": {"type": "integer"},
    "items": {"type": "integer"}, "seen": {"type": "integer"}, "failures_total": {"type": "integer"},
    "finish_reason": {"type": "keyword"}}}


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


class CrawlRunDocs:
    es: Any
    crawls_index: str
    cfg: Any

    def crawl_runs_add(self, docs: list[dict]) -> None:
        """Record finished runs (each with `spider`, `finished_at`, counts and `failures` by kind)."""
        if not self.es.indices.exists(index=self.crawls_index):
            try:
                self.es.indices.create(index=self.crawls_index, mappings=CRAWLS_MAPPING, settings={
                    "number_of_shards": 1, "number_of_replicas": self.cfg.replicas})
            except Exception as e:  # created by a concurrent crawl in between
                if "resource_already_exists" not in str(e):
                    raise
        if docs:
            ops = [x for d in docs for x in ({"index": {}}, d)]
            r = self.es.bulk(index=self.crawls_index, operations=ops, refresh="wait_for")
            if r.get("errors"):
                raise ValueError(f"crawl runs refused by {self.crawls_index}: "
                                 f"{next(i['index'].get('error') for i in r['items'] if i['index'].get('error'))}")

    def crawl_runs_latest(self, now: datetime, since: datetime, n: int) -> dict[str, dict]:
        """Per spider with runs finished in [since, now]: its `n` latest runs (newest first) and
        when it last yielded a new or updated post (`last_yield`, any time before now, or None)."""
        try:
            r = self.es.search(index=self.crawls_index, size=0, query={"range": {"finished_at": {"lte": _iso(now)}}},
                               aggs={"s": {"terms": {"field": "spider", "size": 500}, "aggs": {
                                   "recent": {"filter": {"range": {"finished_at": {"gte": _iso(since)}}}, "aggs": {
                                       "runs": {"top_hits": {"size": n, "sort": [{"finished_at": "desc"}]}}}},
                                   "yielded": {"filter": {"term": {"yielded": True}}, "aggs": {
                                       "last": {"max": {"field": "finished_at"}}}}}}}).body
        except NotFoundError:
            return {}
        out = {}
        for b in r.get("aggregations", {}).get("s", {}).get("buckets", []):
            runs = [h["_source"] for h in b["recent"]["runs"]["hits"]["hits"]]
            last = b["yielded"]["last"].get("value")
            if runs:
                out[b["key"]] = {"runs": runs, "last_yield": datetime.fromtimestamp(last / 1000, tz=timezone.utc)
                                 if last is not None else None}
        return out
