"""The audit log: who did what to which thing, when, and whether it was allowed.

Every action on an incident (from `yuqing incidents …` or the web console) and every refusal
(a 403, a bad CSRF token, a rate limit) is one document in `<prefix>-audit`, written once and
never changed. `who` is a person's login or OS user name: see PRIVACY.md.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from yuqing.prune import before, delete_matching

AUDIT_MAPPING = {"dynamic": False, "properties": {
    "at": {"type": "date"}, "who": {"type": "keyword"}, "action": {"type": "keyword"},
    "target": {"type": "keyword"}, "ok": {"type": "boolean"}, "detail": {"type": "text"}}}


def audit_index(store) -> str:
    return store.index("audit")


def record(store, who: str, action: str, target: str, now: datetime, ok: bool = True, detail: str = "") -> str:
    """Append one entry; returns its id. `now` is the caller's clock (UTC is stored)."""
    if now.tzinfo is None:
        raise ValueError("the clock must be timezone-aware")
    index = audit_index(store)
    store.ensure_index(index, AUDIT_MAPPING)
    doc_id = uuid.uuid4().hex
    store.put(index, doc_id, {"at": now.astimezone(timezone.utc).isoformat(), "who": who or "?", "action": action,
                              "target": target, "ok": bool(ok), "detail": detail[:2000]}, expect=None)
    return doc_id


def recent(store, limit: int = 50, target: str | None = None, action: str | None = None) -> list[dict]:
    """The newest entries first (optionally of one target or one action)."""
    index = audit_index(store)
    store.ensure_index(index, AUDIT_MAPPING)
    f = ([{"term": {"target": target}}] if target else []) + ([{"term": {"action": action}}] if action else [])
    return [dict(d) for d in store.find(index, {"bool": {"filter": f}}, size=limit, sort=[{"at": "desc"}])]


def prune(store, cutoff: datetime) -> int:
    """Delete the entries written before `cutoff` (retention.audit_days); returns how many went."""
    return delete_matching(store, audit_index(store), before("at", cutoff), "old audit entries")
