"""The only module that knows index names, mappings and query DSL.

Posts live in monthly indices `<prefix>-posts-YYYY.MM` (by publication time, UTC) read through
the alias `<prefix>-posts`; retention drops whole indices, because the server core this project
runs on has no `_delete_by_query`, painless or ILM. Document `_id` is `platform:post_id`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from elasticsearch import ApiError, ConnectionError as ESConnectionError, Elasticsearch, NotFoundError
from elasticsearch import TransportError, helpers
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from yuqing.config import ElasticsearchConfig
from yuqing.post import Post, es_fields
from yuqing.store_crawls import CrawlRunDocs
from yuqing.store_privacy import PrivacyDocs
from yuqing.store_queries import PostQueries
from yuqing.store_report import ReportQueries
from yuqing.store_nlp import NlpDocs
from yuqing.store_state import StateDocs

log = logging.getLogger(__name__)


def _transient(e: BaseException) -> bool:
    return isinstance(e, ApiError) and e.meta.status in (429, 503)


class StoreUnavailable(Exception):
    """Elasticsearch cannot be reached (after the client's own retries)."""


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason)
    # Posts not confirmed written because the node went away mid-batch.
    unwritten: list[Post] = field(default_factory=list)


def make_client(cfg: ElasticsearchConfig) -> Elasticsearch:
    kw: dict[str, Any] = {
        "request_timeout": cfg.request_timeout,
        "max_retries": cfg.max_retries,
        "retry_on_timeout": True,
        "retry_on_status": (429, 502, 503, 504),
    }
    if cfg.api_key:
        kw["api_key"] = cfg.api_key
    elif cfg.username:
        kw["basic_auth"] = (cfg.username, cfg.password or "")
    if any(h.startswith("https") for h in cfg.hosts):
        kw["verify_certs"] = cfg.verify_certs
        if cfg.ca_certs:
            kw["ca_certs"] = cfg.ca_certs
    return Elasticsearch(cfg.hosts, **kw)


def month_suffix(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y.%m")


class Store(PostQueries, StateDocs, PrivacyDocs, ReportQueries, NlpDocs, CrawlRunDocs):
    def __init__(self, cfg: ElasticsearchConfig, client: Elasticsearch | None = None):
        self.cfg = cfg
        self.es = client or make_client(cfg)
        p = cfg.index_prefix
        self.posts_alias = f"{p}-posts"
        self.posts_pattern = f"{p}-posts-*"
        self.alerts_index = f"{p}-alerts"
        self.state_index = f"{p}-state"
        self.outbox_index = f"{p}-outbox"  # alert deliveries (yuqing/store_outbox.py)
        self.crawls_index = f"{p}-crawls"  # finished crawl runs (yuqing/store_crawls.py)
        self._ready = False

    # -- set-up -------------------------------------------------------------------------
    def template(self) -> dict:
        return {
            "index_patterns": [self.posts_pattern],
            "priority": 200,
            "template": {
                "settings": {
                    "number_of_shards": self.cfg.shards,
                    "number_of_replicas": self.cfg.replicas,
                    "refresh_interval": "1s",
                },
                "mappings": {"dynamic": "strict", "properties": es_fields()},
                "aliases": {self.posts_alias: {}},
            },
            "_meta": {"managed_by": "yuqing"},
        }

    def setup(self) -> None:
        """Install the index template (idempotent). Called once per process before writes."""
        if self._ready:
            return
        try:
            self.es.indices.put_index_template(name=self.posts_alias, **self.template())
            # Indices created before a field was added to Post are strict: give them the new
            # fields too, or every later write into that month would be refused.
            self.es.indices.put_mapping(index=self.posts_pattern, properties=es_fields(),
                                        allow_no_indices=True, ignore_unavailable=True)
        except (ESConnectionError, TransportError) as e:
            raise StoreUnavailable(self._unreachable(e)) from e
        self._ready = True

    def _unreachable(self, e: Exception) -> str:
        return f"Elasticsearch at {', '.join(self.cfg.hosts)} is unreachable ({type(e).__name__})"

    def index_for(self, post: Post) -> str:
        return f"{self.posts_alias}-{month_suffix(post.published_at)}"

    # -- health -------------------------------------------------------------------------
    def health(self) -> dict:
        """Cluster health plus the node version (the server core has no `GET /`)."""
        try:
            h = self.es.cluster.health().body
            nodes = self.es.nodes.info(node_id="_local", filter_path="nodes.*.version").body.get("nodes", {})
        except (ESConnectionError, TransportError) as e:
            raise StoreUnavailable(self._unreachable(e)) from e
        versions = sorted({n.get("version", "?") for n in nodes.values()})
        return {"status": h["status"], "cluster": h["cluster_name"], "nodes": h["number_of_nodes"],
                "version": ", ".join(versions)}

    # -- writes -------------------------------------------------------------------------
    def _existing(self, ids: list[str]) -> dict[str, str]:
        """doc_id -> index for documents already searchable under the alias.

        A month index created a moment ago (by another writer) answers 503 until its shard is
        active; that is retried briefly rather than taken as "no such post", which could duplicate.
        """
        if not ids:
            return {}
        for attempt in Retrying(retry=retry_if_exception(_transient), wait=wait_exponential(multiplier=0.2, max=3),
                                stop=stop_after_delay(20), reraise=True):
            with attempt:
                return self._existing_once(ids)
        return {}  # unreachable: Retrying re-raises

    def _existing_once(self, ids: list[str]) -> dict[str, str]:
        r = self.es.search(index=self.posts_pattern, query={"ids": {"values": ids}}, source=False,
                           size=len(ids), track_total_hits=False, ignore_unavailable=True, allow_no_indices=True,
                           filter_path="hits.hits._id,hits.hits._index")
        return {h["_id"]: h["_index"] for h in r.body.get("hits", {}).get("hits", [])}

    def upsert(self, posts: list[Post]) -> UpsertResult:
        """Write posts idempotently: new ones are created in their month's index, known ones
        are updated in place (wherever they live), so a changed date never duplicates a post.

        Raises StoreUnavailable only if nothing could be written; a node lost mid-batch returns
        the posts that were not confirmed in `unwritten`.
        """
        res = UpsertResult()
        if not posts:
            return res
        self.setup()
        by_id: dict[str, Post] = {}
        for p in posts:
            by_id[p.doc_id] = p  # last one wins within a batch
        try:
            found = self._existing(list(by_id))
        except (ESConnectionError, TransportError) as e:
            raise StoreUnavailable(self._unreachable(e)) from e

        def actions(items: Iterable[tuple[str, Post]]):
            for doc_id, p in items:
                if doc_id in found:
                    yield {"_op_type": "update", "_index": found[doc_id], "_id": doc_id, "doc": p.to_doc(),
                           "retry_on_conflict": 3}  # two crawlers updating one post's counters
                else:
                    yield {"_op_type": "create", "_index": self.index_for(p), "_id": doc_id, "_source": p.to_doc()}

        conflicts: list[str] = []
        pending = dict(by_id)
        try:
            for ok, item in helpers.streaming_bulk(
                self.es, actions(by_id.items()), chunk_size=self.cfg.bulk_chunk, max_retries=self.cfg.max_retries,
                initial_backoff=1, max_backoff=30, raise_on_error=False, raise_on_exception=True,
            ):
                op, info = next(iter(item.items()))
                doc_id = info["_id"]
                pending.pop(doc_id, None)
                if ok:
                    if op == "update":
                        res.updated += 1
                    else:
                        res.created += 1
                elif op == "create" and info.get("status") == 409:
                    conflicts.append(doc_id)  # written moments ago, not yet searchable
                else:
                    err = info.get("error", {})
                    reason = err.get("reason", str(err)) if isinstance(err, dict) else str(err)
                    res.errors.append((doc_id, f"{err.get('type', 'error') if isinstance(err, dict) else 'error'}: {reason}"))
            if conflicts:
                upd = [{"_op_type": "update", "_index": self.index_for(by_id[i]), "_id": i, "doc": by_id[i].to_doc(),
                        "retry_on_conflict": 3} for i in conflicts]
                for ok, item in helpers.streaming_bulk(self.es, upd, chunk_size=self.cfg.bulk_chunk,
                                                       max_retries=self.cfg.max_retries, raise_on_error=False):
                    info = next(iter(item.values()))
                    if ok:
                        res.updated += 1
                    else:
                        res.errors.append((info["_id"], str(info.get("error"))))
        except (ESConnectionError, TransportError, helpers.BulkIndexError) as e:
            if not isinstance(e, helpers.BulkIndexError) and len(pending) == len(by_id):
                raise StoreUnavailable(self._unreachable(e)) from e
            log.warning("Elasticsearch went away mid-batch: %d of %d posts unconfirmed", len(pending), len(by_id))
            res.unwritten = list(pending.values())
        return res

    def refresh(self) -> None:
        self.es.indices.refresh(index=self.posts_pattern, ignore_unavailable=True, allow_no_indices=True)

    # -- reads --------------------------------------------------------------------------
    def count(self, query: dict | None = None) -> int:
        try:
            r = self.es.count(index=self.posts_pattern, query=query or {"match_all": {}},
                              ignore_unavailable=True, allow_no_indices=True)
        except NotFoundError:
            return 0
        return int(r["count"])

    def breakdown(self, *fields: str) -> dict[str, dict[str, int]]:
        """Document counts per value of each field (for summaries)."""
        aggs = {f: {"terms": {"field": f, "size": 50, "missing": "(none)"}} for f in fields}
        r = self.es.search(index=self.posts_pattern, size=0, aggs=aggs, ignore_unavailable=True, allow_no_indices=True)
        out = {}
        for f in fields:
            out[f] = {b["key"]: b["doc_count"] for b in r.get("aggregations", {}).get(f, {}).get("buckets", [])}
        return out

    def cross_breakdown(self, outer: str, inner: str) -> dict[str, dict[str, int]]:
        r = self.es.search(index=self.posts_pattern, size=0, ignore_unavailable=True, allow_no_indices=True, aggs={
            "o": {"terms": {"field": outer, "size": 50}, "aggs": {"i": {"terms": {"field": inner, "size": 10}}}}})
        return {b["key"]: {c["key"]: c["doc_count"] for c in b["i"]["buckets"]}
                for b in r.get("aggregations", {}).get("o", {}).get("buckets", [])}

    def posts_indices(self) -> list[str]:
        try:
            r = self.es.indices.get(index=self.posts_pattern, allow_no_indices=True, ignore_unavailable=True)
        except NotFoundError:
            return []
        return sorted(r.body)

    def delete_older_than(self, days: int, now: datetime | None = None) -> list[str]:
        """Drop whole monthly indices whose newest possible post is older than `days`."""
        now = now or datetime.now(timezone.utc)
        cutoff = now - timedelta(days=days)
        dropped = []
        for name in self.posts_indices():
            suffix = name.removeprefix(self.posts_alias + "-")
            try:
                start = datetime.strptime(suffix, "%Y.%m").replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)  # first day of next month
            if end <= cutoff:
                self.es.indices.delete(index=name)
                dropped.append(name)
        return dropped

    def drop_all(self) -> None:
        """Delete every index with this prefix (tests, `yuqing es reset`)."""
        p = self.cfg.index_prefix
        for pattern in (self.posts_pattern, self.alerts_index, self.state_index, self.outbox_index, self.crawls_index):
            try:
                self.es.indices.delete(index=pattern, ignore_unavailable=True, allow_no_indices=True)
            except (NotFoundError, ApiError):
                pass
        try:
            self.es.indices.delete_index_template(name=self.posts_alias)
        except NotFoundError:
            pass
        self._ready = False
        log.debug("dropped indices for prefix %s", p)
