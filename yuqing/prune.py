"""Deleting old documents from an index that is not split by month (crawl runs, incidents, the
audit log), where retention cannot drop whole indices as it does for posts.

The server core this project runs on has no `_delete_by_query` (README "Elasticsearch"), so the
ids of the matching documents are scanned and deleted in bulk: a scroll is a consistent snapshot,
and a document written meanwhile is simply left for the next pass.
"""
from __future__ import annotations

from datetime import datetime, timezone

from yuqing.store import Store, StoreError


def before(field: str, cutoff: datetime) -> dict:
    """The range query "`field` earlier than `cutoff`" (stored times are UTC ISO strings)."""
    return {"range": {field: {"lt": cutoff.astimezone(timezone.utc).isoformat()}}}


def delete_matching(store: Store, index: str, query: dict, what: str) -> int:
    """Delete every document of `index` matching `query`; returns how many went. `what` names them
    in the StoreError raised when the node refused some (the others are deleted all the same)."""
    store.refresh(index)  # documents written just now are matched too
    old = ({"_op_type": "delete", "_index": index, "_id": h["_id"]}
           for h in store.scan(index, query, _source=False))
    deleted, refused = 0, []
    for ok, _, info in store.bulk(old):
        if ok:
            deleted += 1
        else:
            refused.append(info.get("error") or info.get("result"))
    if deleted:
        store.refresh(index)
    if refused:
        raise StoreError(f"{len(refused)} {what} not deleted from {index}: {refused[0]}")
    return deleted
