"""Alert state and alert history in Elasticsearch, mixed into `Store`.

State lives in `<prefix>-state` (one small document per key, written with optimistic
concurrency so two evaluators never both claim the same alert) and raised alerts in
`<prefix>-alerts` (one document per alert id, created once). Both survive a restart, which is
the point: ElastAlert kept its windows in memory and repeated or forgot alerts after one.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from elasticsearch import ConflictError, NotFoundError

STATE_MAPPING = {"dynamic": False, "properties": {
    "kind": {"type": "keyword"}, "topic": {"type": "keyword"}, "rule": {"type": "keyword"},
    "active": {"type": "boolean"}, "until": {"type": "date"}, "updated_at": {"type": "date"}}}

ALERTS_MAPPING = {"dynamic": False, "properties": {
    "kind": {"type": "keyword"}, "topic": {"type": "keyword"}, "rule": {"type": "keyword"},
    "severity": {"type": "keyword"}, "fired_at": {"type": "date"}, "window_start": {"type": "date"},
    "window_end": {"type": "date"}, "value": {"type": "float"}, "baseline": {"type": "float"},
    "ratio": {"type": "float"}, "title": {"type": "text"}, "queued": {"type": "boolean"},
    "recorded_at": {"type": "date"}}}


class Versioned(dict):
    """A state document plus the version it was read at (for a conditional write)."""

    seq_no: int | None = None
    primary_term: int | None = None


class StateDocs:
    es: Any
    alerts_index: str
    state_index: str
    cfg: Any

    def setup_state(self) -> None:
        """Create the state and alerts indices once (idempotent; other writers may race us)."""
        if getattr(self, "_state_ready", False):
            return
        for name, mapping in ((self.state_index, STATE_MAPPING), (self.alerts_index, ALERTS_MAPPING)):
            if not self.es.indices.exists(index=name):
                try:
                    self.es.indices.create(index=name, mappings=mapping, settings={
                        "number_of_shards": 1, "number_of_replicas": self.cfg.replicas})
                except Exception as e:  # created by a concurrent process in between
                    if "resource_already_exists" not in str(e):
                        raise
        self._state_ready = True

    # -- state --------------------------------------------------------------------------
    def state_get(self, key: str) -> Versioned | None:
        self.setup_state()
        try:
            r = self.es.get(index=self.state_index, id=key)
        except NotFoundError:
            return None
        doc = Versioned(r["_source"])
        doc.seq_no, doc.primary_term = r["_seq_no"], r["_primary_term"]
        return doc

    def state_mget(self, keys: list[str]) -> dict[str, Versioned]:
        """Documents by key, read in real time (no refresh wait), each with its version."""
        self.setup_state()
        if not keys:
            return {}
        r = self.es.mget(index=self.state_index, ids=keys)
        out = {}
        for d in r["docs"]:
            if d.get("found"):
                doc = Versioned(d["_source"])
                doc.seq_no, doc.primary_term = d["_seq_no"], d["_primary_term"]
                out[d["_id"]] = doc
        return out

    def state_put(self, key: str, doc: dict, expect: Versioned | None | bool = True, refresh: bool = False) -> bool:
        """Write a state document. `expect` is the version read earlier (None: it must not
        exist yet; True: write unconditionally). False means another writer got there first."""
        self.setup_state()
        doc = {**doc, "updated_at": datetime.now(timezone.utc).isoformat()}
        kw: dict = {}
        if expect is None:
            kw["op_type"] = "create"
        elif isinstance(expect, Versioned) and expect.seq_no is not None:
            kw["if_seq_no"], kw["if_primary_term"] = expect.seq_no, expect.primary_term
        try:
            self.es.index(index=self.state_index, id=key, document=doc, refresh="wait_for" if refresh else False, **kw)
        except ConflictError:
            return False
        return True

    def state_delete(self, key: str) -> bool:
        self.setup_state()
        try:
            self.es.delete(index=self.state_index, id=key, refresh="wait_for")
        except NotFoundError:
            return False
        return True

    def state_find(self, kind: str, size: int = 1000) -> dict[str, Versioned]:
        """All state documents of one kind by key, each with its version (read before a write)."""
        self.setup_state()
        r = self.es.search(index=self.state_index, size=size, query={"term": {"kind": kind}},
                           seq_no_primary_term=True)
        out = {}
        for h in r["hits"]["hits"]:
            doc = Versioned(h["_source"])
            doc.seq_no, doc.primary_term = h["_seq_no"], h["_primary_term"]
            out[h["_id"]] = doc
        return out

    # -- alerts -------------------------------------------------------------------------
    def alert_record(self, doc: dict) -> bool:
        """Record an alert once by its id; False if it was already recorded."""
        self.setup_state()
        try:
            self.es.index(index=self.alerts_index, id=doc["id"], document=doc, op_type="create")
        except ConflictError:
            return False
        return True

    def alert_mark(self, alert_id: str, **fields) -> None:
        self.es.update(index=self.alerts_index, id=alert_id, doc=fields)

    def alerts_find(self, topic: str | None = None, since: datetime | None = None, queued: bool | None = None,
                    size: int = 100) -> list[dict]:
        """Recorded alerts, newest first."""
        self.setup_state()
        self.es.indices.refresh(index=self.alerts_index)
        f: list[dict] = []
        if topic:
            f.append({"term": {"topic": topic}})
        if since:
            f.append({"range": {"fired_at": {"gte": since.astimezone(timezone.utc).isoformat()}}})
        if queued is not None:
            f.append({"term": {"queued": queued}})
        r = self.es.search(index=self.alerts_index, size=size, query={"bool": {"filter": f}},
                           sort=[{"fired_at": "desc"}])
        return [h["_source"] for h in r["hits"]["hits"]]
