"""Per-author reads and deletes for erasure and export, mixed into `Store`.

The server core this project runs on has no `_delete_by_query`, so erasure is a scroll over
every posts index (a consistent snapshot, so deleting cannot make it skip documents) followed by
bulk deletes by `_index` and `_id`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from elasticsearch import NotFoundError, helpers


@dataclass
class DeleteResult:
    deleted: int = 0
    missing: int = 0  # already gone (deleted by someone else, or retention dropped the index)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (_id, reason)


class PrivacyDocs:
    es: Any
    posts_pattern: str

    def _author_query(self, author_ids: list[str], platforms: list[str] | None) -> dict:
        f: list[dict] = [{"terms": {"author_id": author_ids}}]
        if platforms:
            f.append({"terms": {"platform": platforms}})
        return {"bool": {"filter": f}}

    def docs_by_author(self, author_ids: list[str], platforms: list[str] | None = None) -> Iterator[dict]:
        """Every post by these (pseudonymised) author ids, in all posts indices: hits with
        `_index`, `_id` and `_source`."""
        if not author_ids:
            return
        try:
            yield from helpers.scan(self.es, index=self.posts_pattern, query={"query": self._author_query(
                author_ids, platforms)}, size=500, scroll="2m", ignore_unavailable=True, allow_no_indices=True)
        except NotFoundError:
            return

    def count_by_author(self, author_ids: list[str], platforms: list[str] | None = None) -> int:
        if not author_ids:
            return 0
        try:
            r = self.es.count(index=self.posts_pattern, query=self._author_query(author_ids, platforms),
                              ignore_unavailable=True, allow_no_indices=True)
        except NotFoundError:
            return 0
        return int(r["count"])

    def platforms(self) -> list[str]:
        """Platforms that have posts stored (an author id is only meaningful per platform)."""
        try:
            r = self.es.search(index=self.posts_pattern, size=0, ignore_unavailable=True, allow_no_indices=True,
                               aggs={"p": {"terms": {"field": "platform", "size": 1000}}})
        except NotFoundError:
            return []
        return [b["key"] for b in r.get("aggregations", {}).get("p", {}).get("buckets", [])]

    def delete_docs(self, index_id_pairs: Iterable[tuple[str, str]], chunk: int = 500) -> DeleteResult:
        """Bulk-delete documents by concrete index and id, then refresh so a count shows it."""
        res = DeleteResult()
        actions = ({"_op_type": "delete", "_index": i, "_id": d} for i, d in index_id_pairs)
        touched = False
        for ok, item in helpers.streaming_bulk(self.es, actions, chunk_size=chunk, raise_on_error=False,
                                               raise_on_exception=True):
            touched = True
            info = item["delete"]
            if ok:
                res.deleted += 1
            elif info.get("status") == 404:
                res.missing += 1
            else:
                err = info.get("error")
                res.errors.append((info.get("_id", "?"), err.get("reason", str(err)) if isinstance(err, dict)
                                   else str(err)))
        if touched:
            self.es.indices.refresh(index=self.posts_pattern, ignore_unavailable=True, allow_no_indices=True)
        return res
