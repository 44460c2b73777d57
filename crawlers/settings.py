"""Scrapy settings for one spider, derived from `sources:`.

Each spider gets its own Settings (one Crawler per spider in the same process), so a source's
politeness overrides never leak into another. Everything Scrapy already does well stays Scrapy's:
AutoThrottle, RetryMiddleware, RobotsTxtMiddleware, HttpProxyMiddleware, JOBDIR, and with
`sources.defaults.backend: redis` scrapy-redis's shared scheduler and dupefilter.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from crawlers import browser
from crawlers.config import BrowserSource

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config

RETRY_CODES = [429, 500, 502, 503, 504, 522, 524, 408]


def job_dir(cfg: Config, spider: str) -> Path:
    return cfg.home_dir / "jobs" / cfg.elasticsearch.index_prefix / spider


def redis_backend() -> ModuleType:
    """crawlers.redis_crawl, imported only for `backend: redis`: scrapy-redis and redis-py are the
    `distributed` extra of the package (both are in requirements.txt)."""
    try:
        from crawlers import redis_crawl
    except ImportError as e:
        raise RuntimeError(f"sources.defaults.backend: redis needs scrapy-redis ({e}); install it with "
                           "pip install 'yuqing[distributed]', or set backend: local") from e
    return redis_crawl


def spider_settings(cfg: Config, spider: str, *, zero_delay: bool = False, nlp: bool | None = None,
                    resumable: bool | None = None, extra: dict | None = None) -> dict:
    p = cfg.sources.politeness(spider)
    zero_delay = zero_delay or bool(cfg.sources.replay)  # the replay site is ours and local: no need to be gentle
    delay = 0.0 if zero_delay else p.download_delay
    s: dict = {
        "BOT_NAME": "yuqing",
        "USER_AGENT": p.user_agent,
        "ROBOTSTXT_OBEY": p.obey_robots,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "AUTOTHROTTLE_ENABLED": p.autothrottle and not zero_delay,
        "AUTOTHROTTLE_START_DELAY": max(delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(p.concurrency_per_domain),
        "CONCURRENT_REQUESTS": 32 if zero_delay else 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32 if zero_delay else p.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": p.timeout,
        "RETRY_ENABLED": p.retries > 0,
        "RETRY_TIMES": p.retries,
        "RETRY_HTTP_CODES": RETRY_CODES,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.Backoff": 560,  # before RetryMiddleware (550) sees the response
            "crawlers.middlewares.RotateProxy": 740,  # just before HttpProxyMiddleware (750)
        },
        "ITEM_PIPELINES": {"pipelines.scrapy.PostPipeline": 300},
        "YUQING_CFG": cfg,
        "YUQING_PROXIES": p.proxies,
        "YUQING_BACKOFF_START": 0.5,
        "YUQING_MAX_PAGES": p.max_pages,
        "YUQING_LOOKBACK": p.lookback,
        "YUQING_NLP": nlp,
    }
    src = cfg.sources.source(spider)
    if isinstance(src, BrowserSource):
        s.update(browser.settings(src, p, zero_delay))
    if cfg.sources.defaults.backend == "redis":
        s.update(redis_backend().scrapy_settings(cfg, spider))  # the shared queue resumes: no JOBDIR
    elif resumable if resumable is not None else cfg.sources.defaults.resumable:
        d = job_dir(cfg, spider)
        d.mkdir(parents=True, exist_ok=True)
        s["JOBDIR"] = str(d)
    s.update(extra or {})
    return s
