"""Delivery records of the alert outbox in `<prefix>-outbox`, one document per (alert, channel).

The document id is the idempotency key, so enqueueing is a `create` that a second writer loses
(409) instead of duplicating; every later change is a conditional write on the version read
(if_seq_no / if_primary_term), so two outbox processes can never both claim one send. Plain
documents and `doc` writes only: this server core has no painless scripts.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from yuqing.store import Doc, StoreError

OUTBOX_MAPPING = {"dynamic": False, "properties": {
    "alert_id": {"type": "keyword"}, "channel": {"type": "keyword"}, "channel_type": {"type": "keyword"},
    "status": {"type": "keyword"}, "attempts": {"type": "integer"}, "created_at": {"type": "date"}, "requeued_at": {"type": "date"},
    "next_attempt_at": {"type": "date"}, "lease_until": {"type": "date"}, "sent_at": {"type": "date"},
    "failed_at": {"type": "date"}, "last_error": {"type": "text"}, "topic": {"type": "keyword"},
    "rule": {"type": "keyword"}, "kind": {"type": "keyword"}, "severity": {"type": "keyword"},
    "alert": {"type": "object", "enabled": False}, "chart_png": {"type": "binary"}}}


Versioned = Doc  # a record plus the version it was read at, for the conditional write that follows


class OutboxDocs:
    def __init__(self, store):
        self.store = store
        self.index = store.outbox_index

    def setup(self) -> None:
        self.store.ensure_index(self.index, OUTBOX_MAPPING)

    def create(self, docs: dict[str, dict]) -> list[str]:
        """Create records that do not exist yet; returns the ids actually created."""
        if not docs:
            return []
        self.setup()
        created = []
        actions = ({"_op_type": "create", "_index": self.index, "_id": i, "_source": d} for i, d in docs.items())
        for ok, _, info in self.store.bulk(actions):
            if ok:
                created.append(info["_id"])
            elif info.get("status") != 409:
                raise StoreError(f"outbox record {info['_id']} not written: {info.get('error')}")
        return created

    def due(self, now: datetime, limit: int) -> list[Versioned]:
        """Pending records whose next attempt has come, and claims whose sender died (lease over)."""
        self.setup()
        ts = now.isoformat()
        q = {"bool": {"minimum_should_match": 1, "should": [
            {"bool": {"filter": [{"term": {"status": "pending"}}, {"range": {"next_attempt_at": {"lte": ts}}}]}},
            {"bool": {"filter": [{"term": {"status": "sending"}}, {"range": {"lease_until": {"lte": ts}}}]}},
        ]}}
        return self.store.find(self.index, q, size=limit, sort=[{"next_attempt_at": "asc"}, {"created_at": "asc"}])

    def put(self, rec: Versioned, doc: dict) -> Versioned | None:
        """Replace a record if nobody changed it since it was read; None if someone did."""
        return self.store.put(self.index, rec.id, doc, expect=rec)

    def get(self, key: str) -> Versioned | None:
        self.setup()
        return self.store.get(self.index, key)

    def search(self, status: str | None = None, topic: str | None = None, limit: int = 50,
               with_chart: bool = False) -> list[Versioned]:
        self.setup()
        flt: list[dict[str, Any]] = []
        if status:
            flt.append({"term": {"status": status}})
        if topic:
            flt.append({"term": {"topic": topic}})
        return self.store.find(self.index, {"bool": {"filter": flt}}, size=limit, sort=[{"created_at": "desc"}],
                               source_excludes=[] if with_chart else ["chart_png"])

    def counts(self) -> dict[str, int]:
        """Records per status (for `yuqing status`)."""
        self.store.refresh(self.index)
        r = self.store.search(self.index, size=0, aggs={"s": {"terms": {"field": "status", "size": 10}}})
        return {b["key"]: b["doc_count"] for b in r.get("aggregations", {}).get("s", {}).get("buckets", [])}
