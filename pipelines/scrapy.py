"""The thin Scrapy adapter around the one pipeline chain (see pipelines/chain.py).

Items are fed to the chain as they come; the chain batches NLP and bulk writes itself and is
flushed when the spider closes. What happened to the items (new, updated, spooled, rejected)
goes into the crawler stats, where `yuqing crawl`'s summary reads it.

The chain runs on one worker thread of its own, not on the reactor: a bulk write (or the
client's retries while Elasticsearch is slow) would otherwise stall every download in flight
until requests time out. One thread keeps the chain's order and needs no locking.
"""
from __future__ import annotations

import logging

from twisted.internet import reactor, threads
from twisted.python.threadpool import ThreadPool

from pipelines.build import build_pipeline

log = logging.getLogger("yuqing.crawl")


class PostPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        cfg = crawler.settings["YUQING_CFG"]
        if cfg is None:
            from yuqing import config

            cfg = config.load(crawler.settings.get("YUQING_CONFIG"))
        self.cfg = cfg
        self.chain = build_pipeline(cfg, nlp=crawler.settings.get("YUQING_NLP"))
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name="yuqing-pipeline")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider):
        self.pool.start()

    def _run(self, f, *args):
        return threads.deferToThreadPool(reactor, self.pool, f, *args)

    def process_item(self, item, spider):
        d = self._run(self.chain.feed, item, dict(item).get("url"))
        d.addCallback(lambda _: self._stats())
        d.addCallback(lambda _: item)
        return d

    def close_spider(self, spider):
        d = self._run(self.chain.close)
        d.addCallback(self._closed, spider)
        d.addBoth(self._stop)
        return d

    def _stop(self, result):
        self.pool.stop()
        return result

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
