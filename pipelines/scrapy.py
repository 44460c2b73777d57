"""The thin Scrapy adapter around the one pipeline chain (see pipelines/chain.py).

Items are fed to the chain as they come; the chain batches NLP and bulk writes itself and is
flushed when the spider closes. What happened to the items (new, updated, spooled, rejected)
goes into the crawler stats, where `yuqing crawl`'s summary reads it.

The chain runs on a worker thread, not on the reactor: a bulk write (or the client's retries
while Elasticsearch is slow) would otherwise stall every download in flight until requests time
out. There is one such thread per process, shared by every spider's chain: the NLP stages hold
models and caches that are not safe to use from two threads at once, and one thread keeps each
chain's order without locking.
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured
from twisted.internet import reactor, threads
from twisted.python.threadpool import ThreadPool

from pipelines.build import build_pipeline

log = logging.getLogger("yuqing.crawl")
_pool: ThreadPool | None = None
HAND_OFF = 50  # items per hop to the worker thread


def worker() -> ThreadPool:
    global _pool
    if _pool is None:
        _pool = ThreadPool(minthreads=1, maxthreads=1, name="yuqing-pipeline")
        _pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", _pool.stop)
    return _pool


class PostPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        cfg = crawler.settings["YUQING_CFG"]
        if cfg is None:
            raise NotConfigured("PostPipeline needs the YUQING_CFG setting (crawlers.settings.spider_settings sets it)")
        self.cfg = cfg
        self.chain = build_pipeline(cfg, nlp=crawler.settings.get("YUQING_NLP"))
        self.buffer: list = []

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _run(self, f, *args):
        return threads.deferToThreadPool(reactor, worker(), f, *args)

    def process_item(self, item, spider):
        """Items are handed to the worker in small groups (one thread hop per group, not per item);
        the item that completes a group waits for it, so a slow store slows the crawl down
        instead of piling items up in memory."""
        self.buffer.append(item)
        if len(self.buffer) < HAND_OFF:
            return item
        group, self.buffer = self.buffer, []
        d = self._run(self._feed, group)
        d.addCallbacks(lambda _: self._stats(), self._broken, errbackArgs=(spider, f"{len(group)} items"))
        d.addCallback(lambda _: item)
        return d

    def _feed(self, group: list) -> None:
        for item in group:
            self.chain.feed(item, dict(item).get("url"))

    def close_spider(self, spider):
        group, self.buffer = self.buffer, []
        d = self._run(lambda: (self._feed(group), self.chain.close())[1])
        d.addCallbacks(self._closed, self._broken, callbackArgs=(spider,), errbackArgs=(spider, "the last batch"))
        return d

    def _broken(self, failure, spider, what: str) -> None:
        """A bug or an outage in a stage must show in the summary, not vanish with the items."""
        self.crawler.stats.inc_value("yuqing/failures/pipeline_error")
        log.error("pipeline failed on %s: %s", what, failure.getTraceback(),
                  extra={"yq_spider": spider.name, "yq_kind": "pipeline_error"})

    def _closed(self, report, spider):
        self._stats()
        for ref, why in report.rejected[:20]:
            log.warning("rejected item %s: %s", ref, why, extra={"yq_spider": spider.name, "yq_kind": "rejected"})
        for doc_id, why in report.errors[:20]:
            log.warning("Elasticsearch refused %s: %s", doc_id, why, extra={"yq_spider": spider.name})

    def _stats(self) -> None:
        r = self.chain.report
        stats = self.crawler.stats
        for key, value in (("new", r.created), ("updated", r.updated), ("spooled", r.spooled),
                           ("rejected", len(r.rejected)), ("duplicates", r.duplicates),
                           ("store_errors", len(r.errors))):
            stats.set_value(f"yuqing/{key}", value)
