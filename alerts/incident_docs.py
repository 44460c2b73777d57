"""Incidents as documents in `<prefix>-incidents`, read and written through the store.

One document per incident, id `<topic hash>-<n>` (n counts the topic's incidents). Every write is
conditional on the version read (`Doc`, as alerts/state_docs.py does), so two writers (the
evaluator attaching an alert, a person acknowledging in the console, a script resolving) never
overwrite each other: the loser re-reads and applies its change again. Two evaluators opening the
same topic's next incident at once compute the same id, and only one create succeeds.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from yuqing.prune import before, delete_matching
from yuqing.store import Doc

INCIDENTS_MAPPING = {"dynamic": False, "properties": {
    "topic": {"type": "keyword"}, "title": {"type": "text"}, "severity": {"type": "keyword"},
    "status": {"type": "keyword"}, "seq": {"type": "integer"}, "opened_at": {"type": "date"},
    "updated_at": {"type": "date"}, "resolved_at": {"type": "date"}, "owner": {"type": "keyword"},
    "alert_ids": {"type": "keyword"}, "rules": {"type": "keyword"}, "version": {"type": "long"}}}


def topic_key(topic: str) -> str:
    """Six hex digits naming the topic in incident ids (a Chinese topic is awkward to type)."""
    return hashlib.sha256(topic.encode()).hexdigest()[:6]


def incident_id(topic: str, seq: int) -> str:
    return f"{topic_key(topic)}-{seq}"


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


class IncidentDocs:
    def __init__(self, store):
        self.store = store
        self.index = store.index("incidents")

    def setup(self) -> None:
        self.store.ensure_index(self.index, INCIDENTS_MAPPING)

    def get(self, doc_id: str) -> Doc | None:
        self.setup()
        return self.store.get(self.index, doc_id)

    def latest(self, topic: str) -> Doc | None:
        """The topic's newest incident (highest n), seen after a refresh, with its version."""
        self.setup()
        hits = self.store.find(self.index, {"term": {"topic": topic}}, size=1, sort=[{"seq": "desc"}])
        return hits[0] if hits else None

    def create(self, doc_id: str, doc: dict) -> Doc | None:
        """Create once; None when another writer created this id first."""
        self.setup()
        return self.store.put(self.index, doc_id, doc, expect=None)

    def write(self, doc_id: str, doc: dict, expect: Doc) -> Doc | None:
        """Replace if still at the version read; None when someone else wrote in between."""
        self.setup()
        return self.store.put(self.index, doc_id, doc, expect=expect)

    def search(self, status: list[str] | None = None, topic: str | None = None, since: datetime | None = None,
               size: int = 50) -> list[Doc]:
        """Incidents newest first, narrowed by status, topic and opening time."""
        self.setup()
        f: list[dict] = []
        if status:
            f.append({"terms": {"status": status}})
        if topic:
            f.append({"term": {"topic": topic}})
        if since:
            f.append({"range": {"opened_at": {"gte": _iso(since)}}})
        return self.store.find(self.index, {"bool": {"filter": f}}, size=size,
                               sort=[{"opened_at": "desc"}, {"seq": "desc"}])

    def prune_resolved(self, cutoff: datetime) -> int:
        """Delete incidents resolved before `cutoff` (retention.incidents_days); an incident not
        resolved is never deleted, however old. Returns how many went."""
        q = {"bool": {"filter": [{"term": {"status": "resolved"}}, before("resolved_at", cutoff)]}}
        return delete_matching(self.store, self.index, q, "old resolved incidents")
