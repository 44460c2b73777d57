"""Running crawls in this process (`run_here`) and summarising them.

Twisted's reactor cannot be restarted within one process, so anything that crawls more than
once (the scheduler, tests, the demo) runs `run_here` in a child process (the shell's
`yuqing/app/crawl_child.py`) and reads the JSON summary it writes. The summary is per spider:
requests, pages, items, new/updated/spooled/rejected, failures by kind, and how the spider finished.
"""
from __future__ import annotations

import logging

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the root config is the shell's; a crawl only reads it
    from yuqing.app.config import Config


def configured(cfg: Config) -> list[str]:
    """Spiders that have something to crawl: enabled, with feeds/products/sites where needed, and
    for the browser platforms an account (or the replay site)."""
    from crawlers.config import BrowserSource
    from crawlers.spiders import available

    s = cfg.sources
    out = []
    for name in available():
        src = s.source(name)
        if not src.enabled:
            continue
        if name == "news" and not s.news.feeds or name == "jd_reviews" and not s.jd_reviews.products \
                or name == "generic" and not s.generic.sites:
            continue
        if isinstance(src, BrowserSource) and not src.accounts and not s.replay:
            continue  # logged out, these platforms show a login wall: named explicitly, they still run
        out.append(name)
    return out


def summarise(name: str, stats: dict, error: str | None = None) -> dict:
    failures = {k.removeprefix("yuqing/failures/"): v for k, v in stats.items() if k.startswith("yuqing/failures/")}
    items = stats.get("item_scraped_count", 0)
    row = {
        "spider": name,
        "requests": stats.get("downloader/request_count", 0),
        "pages": stats.get("response_received_count", 0),
        "items": items,
        "new": stats.get("yuqing/new", 0),
        "updated": stats.get("yuqing/updated", 0),
        "spooled": stats.get("yuqing/spooled", 0),
        "rejected": stats.get("yuqing/rejected", 0),
        "duplicates": stats.get("yuqing/duplicates", 0),
        "unmatched": stats.get("yuqing/unmatched", 0),
        "deleted": stats.get("yuqing/deleted", 0),
        "failures": dict(sorted(failures.items())),
        "finish_reason": stats.get("finish_reason", "error" if error else "?"),
        "seconds": round(stats.get("elapsed_time_seconds", 0.0), 2),
    }
    if error:
        row["error"] = error
    # "failures only": something failed and nothing shows the source still works (no item, no
    # post already known, too old, off-topic or deleted). A quiet incremental run is not a failure.
    evidence = items + sum(stats.get(f"yuqing/{k}", 0) for k in ("seen", "too_old", "unmatched", "deleted"))
    row["seen"] = stats.get("yuqing/seen", 0)
    row["ok"] = not error and not (failures and evidence == 0)
    return row


def run_here(cfg: Config, spiders: list[str], topic: str | None = None, since: str | None = None,
             nlp: bool | None = None, zero_delay: bool = False, resumable: bool | None = None,
             extra: dict | None = None, log_level: str = "WARNING", now: str | None = None) -> list[dict]:
    """Crawl in this process. Call once per process (the reactor does not restart)."""
    from scrapy.crawler import Crawler, CrawlerProcess

    from crawlers.settings import spider_settings
    from crawlers.spiders import load

    process = CrawlerProcess({"LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False})
    # Every request's errback already logs a failure once, with its kind (`parse failure http_5xx at
    # URL`), and counts it for the summary; Scrapy's own "Gave up retrying" ERROR line would say it
    # a second time, louder, for failures a crawl expects and goes on from.
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)
    crawlers: list[tuple[str, Crawler]] = []
    errors: dict[str, str] = {}
    for name in spiders:
        settings = spider_settings(cfg, name, zero_delay=zero_delay, nlp=nlp, resumable=resumable,
                                   extra={"LOG_LEVEL": log_level, **({"YUQING_NOW": now} if now else {}),
                                          **(extra or {})})
        crawler = Crawler(load(name), settings, init_reactor=not crawlers)  # the first one installs it
        crawlers.append((name, crawler))
        d = process.crawl(crawler, topic=topic, since=since)
        d.addErrback(lambda f, n=name: errors.__setitem__(n, f.getErrorMessage()))
    process.start()
    out = []
    for name, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        row = summarise(name, stats, errors.get(name))
        out.append(row)
        jd = crawler.settings.get("JOBDIR")
        if jd and row["finish_reason"] == "finished":
            _clear(Path(jd))  # finished: the next run starts fresh; interrupted: it resumes
    return out


def _clear(d: Path) -> None:
    for p in sorted(d.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
