"""Alert state and alert history: the alerts' own documents, read and written through the store.

State lives in `<prefix>-state` (one small document per key, written with optimistic
concurrency so two evaluators never both claim the same alert) and raised alerts in
`<prefix>-alerts` (one document per alert id, created once). Both survive a restart, which is
the point: ElastAlert kept its windows in memory and repeated or forgot alerts after one.
"""
from __future__ import annotations

from datetime import datetime, timezone

from yuqing.store import Doc

STATE_MAPPING = {"dynamic": False, "properties": {
    "kind": {"type": "keyword"}, "topic": {"type": "keyword"}, "rule": {"type": "keyword"},
    "active": {"type": "boolean"}, "until": {"type": "date"}, "updated_at": {"type": "date"}}}

ALERTS_MAPPING = {"dynamic": False, "properties": {
    "kind": {"type": "keyword"}, "topic": {"type": "keyword"}, "rule": {"type": "keyword"},
    "severity": {"type": "keyword"}, "fired_at": {"type": "date"}, "window_start": {"type": "date"},
    "window_end": {"type": "date"}, "value": {"type": "float"}, "baseline": {"type": "float"},
    "ratio": {"type": "float"}, "title": {"type": "text"}, "queued": {"type": "boolean"},
    "recorded_at": {"type": "date"}}}


Versioned = Doc  # a state document plus the version it was read at (for a conditional write)


class StateDocs:
    """`<prefix>-state` (rule state, silences) and `<prefix>-alerts` (raised alerts)."""

    def __init__(self, store):
        self.store = store
        self.state_index = store.state_index
        self.alerts_index = store.alerts_index

    def setup(self) -> None:
        self.store.ensure_index(self.state_index, STATE_MAPPING)
        self.store.ensure_index(self.alerts_index, ALERTS_MAPPING)

    # -- state --------------------------------------------------------------------------
    def get(self, key: str) -> Versioned | None:
        self.setup()
        return self.store.get(self.state_index, key)

    def mget(self, keys: list[str]) -> dict[str, Versioned]:
        """Documents by key, read in real time (no refresh wait), each with its version."""
        self.setup()
        return self.store.mget(self.state_index, keys)

    def put(self, key: str, doc: dict, expect: Versioned | None | bool = True, refresh: bool = False,
            now: datetime | None = None) -> bool:
        """Write a state document. `expect` is the version read earlier (None: it must not
        exist yet; True: write unconditionally). False means another writer got there first."""
        self.setup()
        doc = {**doc, "updated_at": (now or datetime.now(timezone.utc)).isoformat()}
        return self.store.put(self.state_index, key, doc, expect=expect, refresh=refresh) is not None

    def delete(self, key: str) -> bool:
        self.setup()
        return self.store.delete(self.state_index, key)

    def find(self, kind: str, size: int = 1000) -> dict[str, Versioned]:
        """All state documents of one kind by key, each with its version (read before a write)."""
        self.setup()
        return {d.id: d for d in self.store.find(self.state_index, {"term": {"kind": kind}}, size=size)}

    # -- alerts -------------------------------------------------------------------------
    def record(self, doc: dict) -> bool:
        """Record an alert once by its id; False if it was already recorded."""
        self.setup()
        return self.store.put(self.alerts_index, doc["id"], doc, expect=None) is not None

    def mark(self, alert_id: str, **fields) -> None:
        self.store.update(self.alerts_index, alert_id, fields)

    def alerts(self, topic: str | None = None, since: datetime | None = None, queued: bool | None = None,
               until: datetime | None = None, topics: list[str] | None = None, size: int = 100) -> list[dict]:
        """Recorded alerts, newest first."""
        self.setup()
        f: list[dict] = []
        if topic:
            f.append({"term": {"topic": topic}})
        if topics:
            f.append({"terms": {"topic": topics}})
        if since or until:
            r = {"gte": since.astimezone(timezone.utc).isoformat()} if since else {}
            if until:
                r["lt"] = until.astimezone(timezone.utc).isoformat()
            f.append({"range": {"fired_at": r}})
        if queued is not None:
            f.append({"term": {"queued": queued}})
        return [dict(d) for d in self.store.find(self.alerts_index, {"bool": {"filter": f}}, size=size,
                                                  sort=[{"fired_at": "desc"}])]
