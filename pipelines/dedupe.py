"""Drop exact repeats of the same post within one run (the store de-duplicates across runs
through the idempotent `_id`). Keeps the first copy: within one run the counters barely move,
and the next run updates them through the store."""
from __future__ import annotations

from yuqing.post import Post


class Dedupe:
    def __init__(self, max_ids: int = 1_000_000):
        self.seen: set[str] = set()
        self.max_ids = max_ids

    def process(self, post: Post) -> Post | None:
        key = post.doc_id
        if key in self.seen:
            return None
        if len(self.seen) >= self.max_ids:  # bound memory on endless runs (scrapy #5307)
            self.seen.clear()
        self.seen.add(key)
        return post
