"""Per-author reads and deletes for erasure and export (`yuqing privacy`), through the store.

The server core this project runs on has no `_delete_by_query`, so erasure is a scroll over
every posts index (a consistent snapshot, so deleting cannot make it skip documents) followed by
bulk deletes by `_index` and `_id`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator


@dataclass
class DeleteResult:
    deleted: int = 0
    missing: int = 0  # already gone (deleted by someone else, or retention dropped the index)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (_id, reason)


def _author_query(author_ids: list[str], platforms: list[str] | None) -> dict:
    f: list[dict] = [{"terms": {"author_id": author_ids}}]
    if platforms:
        f.append({"terms": {"platform": platforms}})
    return {"bool": {"filter": f}}


def docs_by_author(store, author_ids: list[str], platforms: list[str] | None = None) -> Iterator[dict]:
    """Every post by these (pseudonymised) author ids, in all posts indices: hits with
    `_index`, `_id` and `_source`."""
    if not author_ids:
        return
    yield from store.scan(store.posts_pattern, _author_query(author_ids, platforms), size=500, scroll="2m")


def count_by_author(store, author_ids: list[str], platforms: list[str] | None = None) -> int:
    if not author_ids:
        return 0
    return store.count_in(store.posts_pattern, _author_query(author_ids, platforms))


def platforms(store) -> list[str]:
    """Platforms that have posts stored (an author id is only meaningful per platform)."""
    r = store.search(store.posts_pattern, size=0, aggs={"p": {"terms": {"field": "platform", "size": 1000}}})
    return [b["key"] for b in r.get("aggregations", {}).get("p", {}).get("buckets", [])]


def delete_docs(store, index_id_pairs: Iterable[tuple[str, str]], chunk: int = 500) -> DeleteResult:
    """Bulk-delete documents by concrete index and id, then refresh so a count shows it."""
    res = DeleteResult()
    actions = ({"_op_type": "delete", "_index": i, "_id": d} for i, d in index_id_pairs)
    touched = False
    for ok, _, info in store.bulk(actions, chunk):
        touched = True
        if ok:
            res.deleted += 1
        elif info.get("status") == 404:
            res.missing += 1
        else:
            err = info.get("error")
            res.errors.append((info.get("_id", "?"), err.get("reason", str(err)) if isinstance(err, dict) else str(err)))
    if touched:
        store.refresh()
    return res
