"""The thin Scrapy adapter around the one pipeline chain (see pipelines/chain.py).

Items are fed to the chain as they come; the chain batches NLP and bulk writes itself and is
flushed when the spider closes. What happened to the items (new, updated, spooled, rejected)
goes into the crawler stats, where `yuqing crawl`'s summary reads it.
"""
from __future__ import annotations

import logging

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

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider):
        self.chain.feed(item, ref=dict(item).get("url"))
        self._stats()
        return item

    def close_spider(self, spider):
        report = self.chain.close()
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
