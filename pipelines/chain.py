"""One pipeline chain for crawled items and `yuqing ingest` alike.

Per-item stages have `process(post) -> post` and may raise `Rejected(reason)`; batch stages
(NLP scoring, the store) have `process_batch(posts) -> posts` and run when a batch fills up or on
`flush()`. The Scrapy adapter (`pipelines.scrapy`) and `yuqing ingest` only feed and flush.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from yuqing.post import Post

log = logging.getLogger(__name__)


class Rejected(Exception):
    """An item that cannot be stored, with a reason a person can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Stage(Protocol):
    def process(self, post: Any) -> Post: ...


@runtime_checkable
class BatchStage(Protocol):
    def process_batch(self, posts: list[Post], report: "Report") -> list[Post]: ...


@dataclass
class Report:
    read: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    spooled: int = 0
    rejected: list[tuple[Any, str]] = field(default_factory=list)  # (ref, reason)
    errors: list[tuple[str, str]] = field(default_factory=list)  # store refused: (doc_id, reason)

    @property
    def stored(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict:
        return {"read": self.read, "created": self.created, "updated": self.updated,
                "duplicates": self.duplicates, "spooled": self.spooled,
                "rejected": len(self.rejected), "errors": len(self.errors)}


class Pipeline:
    def __init__(self, stages: list[Stage], batch_stages: list[BatchStage], batch_size: int = 500):
        self.stages = stages
        self.batch_stages = batch_stages
        self.batch_size = batch_size
        self.report = Report()
        self._batch: list[Post] = []

    def feed(self, item: Any, ref: Any = None) -> Post | None:
        """Run the per-item stages; returns the post (queued for the batch) or None if rejected."""
        self.report.read += 1
        post = item
        try:
            for stage in self.stages:
                post = stage.process(post)
                if post is None:  # dropped: later stages must not see it
                    break
        except Rejected as e:
            self.report.rejected.append((ref, e.reason))
            return None
        if post is None:  # a stage dropped it silently (e.g. an exact duplicate in this run)
            self.report.duplicates += 1
            return None
        self._batch.append(post)
        if len(self._batch) >= self.batch_size:
            self.flush()
        return post

    def flush(self) -> None:
        batch, self._batch = self._batch, []
        for stage in self.batch_stages:
            if not batch:
                break
            batch = stage.process_batch(batch, self.report)

    def close(self) -> Report:
        self.flush()
        for stage in [*self.stages, *self.batch_stages]:
            close = getattr(stage, "close", None)
            if close:
                close()
        return self.report
