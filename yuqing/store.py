"""The Elasticsearch client: index names, the posts mapping, writes, and the project's own errors.

Posts live in monthly indices `<prefix>-posts-YYYY.MM` (by publication time, UTC) read through
the alias `<prefix>-posts`; retention drops whole indices, because the server core this project
runs on has no `_delete_by_query`, painless or ILM. Document `_id` is `platform:post_id`.

Every index name is made here (`Store.index(name)`), and every Elasticsearch exception is
translated here into `StoreUnavailable` (no node answers), `StoreError` (a request was refused)
or a return value (a version conflict, a missing document), so no module above catches an
Elasticsearch exception. The stages own their documents (alerts: rule state, alerts, outbox;
dashboards: report aggregations; nlp: token and simhash reads; pipelines: erasure) and reach
them through the generic calls below; read queries over posts are `store.posts`
(yuqing/post_queries.py).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

from elasticsearch import ApiError, ConflictError, ConnectionError as ESConnectionError, Elasticsearch, NotFoundError
from elasticsearch import TransportError, helpers
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from yuqing.config import ElasticsearchConfig
from yuqing.es_client import Doc, StoreError, StoreUnavailable, make_client  # noqa: F401  (the store's API)
from yuqing.post import Post, es_fields
from yuqing.post_queries import PostQueries

log = logging.getLogger(__name__)


def _transient(e: BaseException) -> bool:
    return isinstance(e, ApiError) and e.meta.status in (429, 503)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, reason)
    # Posts not confirmed written because the node went away mid-batch.
    unwritten: list[Post] = field(default_factory=list)


def index_name(prefix: str, name: str) -> str:
    """The one place an index name is made: `<prefix>-<name>` (Kibana's data views use it too)."""
    return f"{prefix}-{name}"


def month_suffix(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y.%m")


class Store:
    def __init__(self, cfg: ElasticsearchConfig, client: Elasticsearch | None = None):
        self.cfg = cfg
        self.es = client or make_client(cfg)
        self.posts_alias = self.index("posts")
        self.posts_pattern = f"{self.posts_alias}-*"
        self.alerts_index = self.index("alerts")
        self.state_index = self.index("state")
        self.outbox_index = self.index("outbox")  # alert deliveries (alerts/outbox_docs.py)
        self.crawls_index = self.index("crawls")  # finished crawl runs (crawlers/runlog.py), read by source_down
        self.posts = PostQueries(self)
        self._ready = False
        self._indices: set[str] = set()

    def index(self, name: str) -> str:
        return index_name(self.cfg.index_prefix, name)

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

    # -- reads --------------------------------------------------------------------------
    def count(self, query: dict | None = None) -> int:
        return self.count_in(self.posts_pattern, query)

    def breakdown(self, *fields: str) -> dict[str, dict[str, int]]:
        """Document counts per value of each field (for summaries)."""
        aggs = {f: {"terms": {"field": f, "size": 50, "missing": "(none)"}} for f in fields}
        r = self.search(self.posts_pattern, size=0, aggs=aggs)
        out = {}
        for f in fields:
            out[f] = {b["key"]: b["doc_count"] for b in r.get("aggregations", {}).get(f, {}).get("buckets", [])}
        return out

    def cross_breakdown(self, outer: str, inner: str) -> dict[str, dict[str, int]]:
        r = self.search(self.posts_pattern, size=0, aggs={
            "o": {"terms": {"field": outer, "size": 50}, "aggs": {"i": {"terms": {"field": inner, "size": 10}}}}})
        return {b["key"]: {c["key"]: c["doc_count"] for c in b["i"]["buckets"]}
                for b in r.get("aggregations", {}).get("o", {}).get("buckets", [])}

    def posts_indices(self) -> list[str]:
        with self._guard("listing the posts indices"):
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
                with self._guard(f"dropping {name}"):
                    self.es.indices.delete(index=name)
                dropped.append(name)
        return dropped

    # -- documents of the stages (alert state, outbox, incidents ...) ---------------------
    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Elasticsearch's exceptions become the project's: unreachable, or refused with a reason."""
        try:
            yield
        except (ESConnectionError, TransportError) as e:
            raise StoreUnavailable(self._unreachable(e)) from e
        except ApiError as e:
            raise StoreError(f"Elasticsearch refused {what}: HTTP {e.meta.status} {e.message}") from e

    def ensure_index(self, name: str, mappings: dict) -> None:
        """Create an index of the stages' documents once (idempotent; a concurrent creator wins)."""
        if name in self._indices:
            return
        with self._guard(f"creating {name}"):
            if not self.es.indices.exists(index=name):
                try:
                    self.es.indices.create(index=name, mappings=mappings, settings={
                        "number_of_shards": 1, "number_of_replicas": self.cfg.replicas})
                except ApiError as e:
                    if "resource_already_exists" not in str(e):
                        raise
        self._indices.add(name)

    def get(self, index: str, doc_id: str) -> Doc | None:
        with self._guard(f"reading {index}/{doc_id}"):
            try:
                return Doc.from_hit(self.es.get(index=index, id=doc_id).body)
            except NotFoundError:
                return None

    def mget(self, index: str, ids: list[str]) -> dict[str, Doc]:
        """Documents by id, read in real time (no refresh wait), each with its version."""
        if not ids:
            return {}
        with self._guard(f"reading {index}"):
            r = self.es.mget(index=index, ids=ids)
        return {d["_id"]: Doc.from_hit(d) for d in r["docs"] if d.get("found")}

    def put(self, index: str, doc_id: str, doc: dict, expect: Doc | None | bool = True,
            refresh: bool = False) -> Doc | None:
        """Write a document. `expect` is the version read earlier (None: it must not exist yet;
        True: write unconditionally). Returns the written version, or None when another writer
        got there first (optimistic concurrency: the caller re-reads and decides)."""
        kw: dict = {}
        if expect is None:
            kw["op_type"] = "create"
        elif isinstance(expect, Doc) and expect.seq_no is not None:
            kw["if_seq_no"], kw["if_primary_term"] = expect.seq_no, expect.primary_term
        with self._guard(f"writing {index}/{doc_id}"):
            try:
                r = self.es.index(index=index, id=doc_id, document=doc, refresh="wait_for" if refresh else False, **kw)
            except ConflictError:
                return None
        out = Doc(doc)
        out.id, out.seq_no, out.primary_term = doc_id, r["_seq_no"], r["_primary_term"]
        return out

    def update(self, index: str, doc_id: str, fields: dict) -> None:
        with self._guard(f"updating {index}/{doc_id}"):
            self.es.update(index=index, id=doc_id, doc=fields, retry_on_conflict=3)

    def delete(self, index: str, doc_id: str) -> bool:
        with self._guard(f"deleting {index}/{doc_id}"):
            try:
                self.es.delete(index=index, id=doc_id, refresh="wait_for")
            except NotFoundError:
                return False
        return True

    def search(self, index: str, **kw) -> dict:
        """A search over `index` (a name or pattern) that may not exist yet: then no hits."""
        with self._guard(f"a search of {index}"):
            try:
                return self.es.search(index=index, ignore_unavailable=True, allow_no_indices=True, **kw).body
            except NotFoundError:
                return {"hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}

    def msearch(self, index: str, bodies: list[dict]) -> list[dict | StoreError]:
        """Many searches of `index` in one request (alerts/engine.py measures every topic at
        once). Each answer is a response, or the StoreError of a search the node refused."""
        if not bodies:
            return []
        head = {"index": index, "ignore_unavailable": True, "allow_no_indices": True}
        with self._guard(f"a multi-search of {index}"):
            r = self.es.msearch(searches=[x for b in bodies for x in (head, b)]).body
        return [StoreError(f"Elasticsearch refused a search of {index}: {x['error'].get('reason', x['error'])}")
                if "error" in x else x for x in r["responses"]]

    def find(self, index: str, query: dict, size: int = 100, sort: list | None = None, **kw) -> list[Doc]:
        """Documents matching `query`, each with its version, after a refresh (so just-written
        ones are seen)."""
        self.refresh(index)
        r = self.search(index, query=query, size=size, sort=sort or [], seq_no_primary_term=True, **kw)
        return [Doc.from_hit(h) for h in r["hits"]["hits"]]

    def count_in(self, index: str, query: dict | None = None) -> int:
        with self._guard(f"a count of {index}"):
            try:
                r = self.es.count(index=index, query=query or {"match_all": {}}, ignore_unavailable=True,
                                  allow_no_indices=True)
            except NotFoundError:
                return 0
        return int(r["count"])

    def scan(self, index: str, query: dict, size: int = 1000, **kw) -> Iterator[dict]:
        """Every hit of `query` (a scroll: a consistent snapshot, fine for millions)."""
        with self._guard(f"a scan of {index}"):
            try:
                yield from helpers.scan(self.es, index=index, query={"query": query}, size=size,
                                        ignore_unavailable=True, allow_no_indices=True, **kw)
            except NotFoundError:
                return

    def bulk(self, actions: Iterable[dict], chunk: int | None = None) -> Iterator[tuple[bool, str, dict]]:
        """(ok, op, item info) per action, errors included, never raised per item."""
        with self._guard("a bulk request"):
            for ok, item in helpers.streaming_bulk(self.es, actions, chunk_size=chunk or self.cfg.bulk_chunk,
                                                   raise_on_error=False, raise_on_exception=True):
                op, info = next(iter(item.items()))
                yield ok, op, info

    def refresh(self, index: str | None = None) -> None:
        with self._guard("a refresh"):
            self.es.indices.refresh(index=index or self.posts_pattern, ignore_unavailable=True, allow_no_indices=True)

    def drop_all(self) -> None:
        """Delete every index with this prefix (tests, `yuqing es reset`)."""
        p = self.cfg.index_prefix
        for pattern in (self.posts_pattern, self.alerts_index, self.state_index, self.outbox_index, self.crawls_index,
                        self.index("incidents"), self.index("audit"), *self._indices):
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
