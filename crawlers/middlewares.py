"""Downloader middlewares for what Scrapy leaves to the project: back-off on 429/503 and proxy
rotation. Retrying itself stays with Scrapy's RetryMiddleware."""
from __future__ import annotations

import itertools
import logging

from scrapy.exceptions import NotConfigured

log = logging.getLogger(__name__)


class Backoff:
    """RetryMiddleware retries a 429/503 at once; the platform meant "slow down". Doubling the
    domain's download delay (and honouring Retry-After) makes the retry, and every request after
    it, wait. Without AutoThrottle, healthy responses halve it back towards the configured delay;
    with it, AutoThrottle does that from the latencies it sees."""

    def __init__(self, crawler, start: float, ceiling: float, base: float | None):
        self.crawler = crawler
        self.start = start
        self.ceiling = ceiling
        self.base = base

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(crawler, s.getfloat("YUQING_BACKOFF_START", 0.5), s.getfloat("AUTOTHROTTLE_MAX_DELAY", 60.0),
                   None if s.getbool("AUTOTHROTTLE_ENABLED") else s.getfloat("DOWNLOAD_DELAY", 0.0))

    def process_response(self, request, response, spider):
        key = request.meta.get("download_slot")
        slot = self.crawler.engine.downloader.slots.get(key) if key else None
        if response.status not in (429, 503):
            if self.base is not None and slot is not None and response.status < 400 and slot.delay > self.base:
                slot.delay = max(self.base, slot.delay / 2)
            return response
        if slot is not None:
            wait = _retry_after(response.headers.get(b"Retry-After"))
            slot.delay = min(self.ceiling, max(slot.delay * 2, self.start, wait))
            self.crawler.stats.inc_value("yuqing/backoff")
            log.info("HTTP %s from %s: delay for %s now %.1fs", response.status, request.url, key, slot.delay)
        return response


def _retry_after(value: bytes | None) -> float:
    try:
        return float(value.decode()) if value else 0.0
    except ValueError:  # an HTTP date: not worth parsing, the doubling covers it
        return 0.0


class RotateProxy:
    """Round-robin over `sources.*.proxies`; Scrapy's HttpProxyMiddleware does the rest
    (credentials in the URL become Proxy-Authorization)."""

    def __init__(self, proxies: list[str]):
        self.cycle = itertools.cycle(proxies)

    @classmethod
    def from_crawler(cls, crawler):
        proxies = crawler.settings.getlist("YUQING_PROXIES")
        if not proxies:
            raise NotConfigured  # no message: Scrapy would log it as a warning on every crawl
        return cls(proxies)

    def process_request(self, request, spider):
        if "proxy" not in request.meta:
            request.meta["proxy"] = next(self.cycle)
