"""Last stage: bulk-write to Elasticsearch; spool to disk whatever it cannot take."""
from __future__ import annotations

import logging

from pipelines.chain import Report
from yuqing.post import Post
from pipelines.spool import Spool
from yuqing.store import Store, StoreUnavailable

log = logging.getLogger(__name__)


class StoreSink:
    def __init__(self, store: Store, spool: Spool):
        self.store = store
        self.spool = spool
        self.down = False  # once the node is gone, spool the rest of the run without waiting

    def process_batch(self, posts: list[Post], report: Report) -> list[Post]:
        if self.down:
            self.spool.put(posts)
            report.spooled += len(posts)
            return posts
        try:
            r = self.store.upsert(posts)
        except StoreUnavailable as e:
            log.warning("%s; spooling %d posts to %s", e, len(posts), self.spool.dir)
            self.down = True
            self.spool.put(posts)
            report.spooled += len(posts)
            return posts
        report.created += r.created
        report.updated += r.updated
        report.errors.extend(r.errors)
        if r.unwritten:
            self.down = True
            self.spool.put(r.unwritten)
            report.spooled += len(r.unwritten)
        return posts
