"""Delivery records of the alert outbox in `<prefix>-outbox`, one document per (alert, channel).

The document id is the idempotency key, so enqueueing is a `create` that a second writer loses
(409) instead of duplicating; every later change is a conditional write on the version read
(if_seq_no / if_primary_term), so two outbox processes can never both claim one send. Plain
documents and `doc` writes only: this server core has no painless scripts.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import ConflictError, NotFoundError, helpers

OUTBOX_MAPPING = {"dynamic": False, "properties": {
    "alert_id": {"type": "keyword"}, "channel": {"type": "keyword"}, "channel_type": {"type": "keyword"},
    "status": {"type": "keyword"}, "attempts": {"type": "integer"}, "created_at": {"type": "date"}, "requeued_at": {"type": "date"},
    "next_attempt_at": {"type": "date"}, "lease_until": {"type": "date"}, "sent_at": {"type": "date"},
    "failed_at": {"type": "date"}, "last_error": {"type": "text"}, "topic": {"type": "keyword"},
    "rule": {"type": "keyword"}, "kind": {"type": "keyword"}, "severity": {"type": "keyword"},
    "alert": {"type": "object", "enabled": False}, "chart_png": {"type": "binary"}}}


class Versioned(dict):
    """A record plus the version it was read at, for the conditional write that follows."""

    id: str = ""
    seq_no: int | None = None
    primary_term: int | None = None


def _versioned(hit: dict) -> Versioned:
    v = Versioned(hit["_source"])
    v.id, v.seq_no, v.primary_term = hit["_id"], hit.get("_seq_no"), hit.get("_primary_term")
    return v


class OutboxDocs:
    def __init__(self, store):
        self.es = store.es
        self.replicas = store.cfg.replicas
        self.index = getattr(store, "outbox_index", f"{store.cfg.index_prefix}-outbox")
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        if not self.es.indices.exists(index=self.index):
            try:
                self.es.indices.create(index=self.index, mappings=OUTBOX_MAPPING, settings={
                    "number_of_shards": 1, "number_of_replicas": self.replicas})
            except Exception as e:  # a concurrent process created it first
                if "resource_already_exists" not in str(e):
                    raise
        self._ready = True

    def create(self, docs: dict[str, dict]) -> list[str]:
        """Create records that do not exist yet; returns the ids actually created."""
        if not docs:
            return []
        self.setup()
        created = []
        actions = ({"_op_type": "create", "_index": self.index, "_id": i, "_source": d} for i, d in docs.items())
        for ok, item in helpers.streaming_bulk(self.es, actions, raise_on_error=False):
            info = item["create"]
            if ok:
                created.append(info["_id"])
            elif info.get("status") != 409:
                raise RuntimeError(f"outbox record {info['_id']} not written: {info.get('error')}")
        return created

    def due(self, now: datetime, limit: int) -> list[Versioned]:
        """Pending records whose next attempt has come, and claims whose sender died (lease over)."""
        self.setup()
        self.es.indices.refresh(index=self.index)
        ts = now.isoformat()
        q = {"bool": {"minimum_should_match": 1, "should": [
            {"bool": {"filter": [{"term": {"status": "pending"}}, {"range": {"next_attempt_at": {"lte": ts}}}]}},
            {"bool": {"filter": [{"term": {"status": "sending"}}, {"range": {"lease_until": {"lte": ts}}}]}},
        ]}}
        r = self.es.search(index=self.index, query=q, size=limit, seq_no_primary_term=True,
                           sort=[{"next_attempt_at": "asc"}, {"created_at": "asc"}])
        return [_versioned(h) for h in r["hits"]["hits"]]

    def put(self, rec: Versioned, doc: dict) -> Versioned | None:
        """Replace a record if nobody changed it since it was read; None if someone did."""
        try:
            r = self.es.index(index=self.index, id=rec.id, document=doc, if_seq_no=rec.seq_no,
                              if_primary_term=rec.primary_term)
        except ConflictError:
            return None
        out = Versioned(doc)
        out.id, out.seq_no, out.primary_term = rec.id, r["_seq_no"], r["_primary_term"]
        return out

    def get(self, key: str) -> Versioned | None:
        self.setup()
        try:
            r = self.es.get(index=self.index, id=key)
        except NotFoundError:
            return None
        return _versioned(r.body)

    def search(self, status: str | None = None, topic: str | None = None, limit: int = 50,
               with_chart: bool = False) -> list[Versioned]:
        self.setup()
        self.es.indices.refresh(index=self.index)
        flt: list[dict[str, Any]] = []
        if status:
            flt.append({"term": {"status": status}})
        if topic:
            flt.append({"term": {"topic": topic}})
        r = self.es.search(index=self.index, query={"bool": {"filter": flt}}, size=limit,
                           sort=[{"created_at": "desc"}], seq_no_primary_term=True,
                           source_excludes=[] if with_chart else ["chart_png"])
        return [_versioned(h) for h in r["hits"]["hits"]]

    def counts(self) -> dict[str, int]:
        """Records per status (for `yuqing status`)."""
        if not self.es.indices.exists(index=self.index):
            return {}
        self.es.indices.refresh(index=self.index)
        r = self.es.search(index=self.index, size=0, aggs={"s": {"terms": {"field": "status", "size": 10}}})
        return {b["key"]: b["doc_count"] for b in r["aggregations"]["s"]["buckets"]}
