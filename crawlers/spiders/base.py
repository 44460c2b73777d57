"""What every yuqing spider shares: config, topics, the replay override, the incremental floor,
and failure accounting.

Platforms change formats, expire cookies and throttle without warning; a crawl that dies (or,
worse, silently yields nothing) on one broken page hides that. So every request goes through
`request()` (errback included), every body through `load_json()`/`check_html()`, and each
problem becomes one structured log line plus a `yuqing/failures/<kind>` stat, and the crawl
goes on.

A browser-backed spider (scrapy-playwright, for signed Xiaohongshu/Douyin/Kuaishou requests) only
has to override `request()` to add `meta={"playwright": True, ...}` and declare the playwright
download handlers in `custom_settings`; topics, checkpoints, failures and the pipeline stay as
they are.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from crawlers.checkpoints import Checkpoints, checkpoint_path
from crawlers.settings import redis_backend
from yuqing.config import match_topics
from yuqing.post import parse_time
from yuqing.times import parse_when

log = logging.getLogger("yuqing.crawl")

_LOGIN = re.compile(r"passport\.|/login|/signin|登录|登錄|sign in", re.I)
_CAPTCHA = re.compile(r"captcha|验证码|安全验证|驗證", re.I)
_CAPTCHA_URL = re.compile(r"captcha|/verify|wappass\.baidu|/sorry/", re.I)
_CAPTCHA_WIDGET = re.compile(r"""(?:id|class)=["'][^"']*(?:captcha|vcode)""", re.I)
_TITLE = re.compile(r"<title[^>]*>([^<]*)</title>", re.I)
_JSONP = re.compile(r"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.S)
SEED_POLL = 0.5  # seconds between looks at a shared run's `seeded` flag
FUTURE = timedelta(days=1)  # a post time further ahead of the crawl than this is counted as `future_time`


class BaseSpider(scrapy.Spider):
    platform: str = ""

    def __init__(self, *args, topic: str | None = None, since: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic_filter = [t for t in (topic or "").split(",") if t]
        self.since_arg = since

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup()
        if spider.run is not None:
            crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def setup(self) -> None:
        s = self.crawler.settings
        self.cfg = s["YUQING_CFG"]
        self.source = self.cfg.sources.source(self.name)
        self.replay = self.cfg.sources.replay
        self.max_pages = s.getint("YUQING_MAX_PAGES", 50)
        topics = self.cfg.topics
        if self.topic_filter:
            unknown = set(self.topic_filter) - {t.name for t in topics}
            if unknown:
                raise ValueError(f"unknown topic(s) {', '.join(sorted(unknown))}; configured: "
                                 f"{', '.join(t.name for t in topics)}")
            topics = [t for t in topics if t.name in self.topic_filter]
        self.topics = topics
        # The crawl's clock: the real one, or a fixed instant from YUQING_NOW (`yuqing crawl --at`) for
        # replays and tests, where the replay site's clock is fixed too.
        at = s.get("YUQING_NOW")
        self.fixed_now = parse_time(at) if at else None
        self.floor = parse_when(self.since_arg or s.get("YUQING_LOOKBACK", "7d"), self.now)
        # backend: redis: this worker joins the spider's shared run (crawlers/redis_crawl.py)
        self.run = redis_backend().Run(self.cfg, self.name) if self.cfg.sources.defaults.backend == "redis" else None
        if self.run is not None:
            self.run.join()
        self.checkpoints = Checkpoints(self.run.state("checkpoints") if self.run else checkpoint_path(self.cfg))

    @property
    def now(self) -> datetime:
        """Read on every use: a crawl that runs across midnight reads 今天 on later pages as the new day."""
        return self.fixed_now or datetime.now(timezone.utc)

    @property
    def stats(self):
        return self.crawler.stats  # created after the spider, so looked up on use

    # -- requests ---------------------------------------------------------------------------
    async def start(self):
        """Scrapy 2.13 asks `start()` for the first requests (scrapy-redis's spiders only define the
        older `start_requests`). With a shared run only its seeder makes them; the others wait until
        they are queued and then take their share of the queue."""
        if self.run is not None and not self.run.seeder:
            from twisted.internet import reactor  # the one Scrapy installed: importing it earlier installs another

            for _ in range(int(self.run.ttl / SEED_POLL)):
                if self.run.seeded():
                    return
                await maybe_deferred_to_future(task.deferLater(reactor, SEED_POLL, lambda: None))
            log.warning("the %s run was not seeded within %ss: seeding it from this worker", self.name, self.run.ttl)
        for request in self.first_requests():
            yield request
        if self.run is not None:
            self.run.mark_seeded()

    def on_idle(self) -> None:
        """This worker has nothing left; it stays while another worker may still queue requests."""
        if self.run.others_busy():
            raise DontCloseSpider

    def first_requests(self):
        raise NotImplementedError

    def url(self, real: str) -> str:
        """The real platform URL, or its copy on the replay site (`<replay>/<host><path>?<query>`)."""
        if not self.replay or real.startswith(self.replay):
            return real
        u = urlsplit(real)
        return f"{self.replay}/{u.netloc}{u.path}" + (f"?{u.query}" if u.query else "")

    def real_url(self, url: str) -> str:
        if self.replay and url.startswith(self.replay + "/"):
            rest = url[len(self.replay) + 1:]
            return "https://" + rest
        return url

    def request(self, url: str, callback, meta: dict | None = None, **kw) -> scrapy.Request:
        headers = kw.pop("headers", {}) or {}
        cookie = getattr(self.source, "cookie", None)
        if cookie:
            headers.setdefault("Cookie", cookie)
        errback = kw.pop("errback", self.on_error)
        return scrapy.Request(self.url(url), callback=callback, errback=errback, headers=headers,
                              meta={**(meta or {}), "real_url": url}, **kw)

    # -- failures ---------------------------------------------------------------------------
    def fail(self, kind: str, url: str, detail: str = "") -> None:
        self.stats.inc_value(f"yuqing/failures/{kind}")
        log.warning("parse failure %s at %s: %s", kind, url, detail,
                    extra={"yq_spider": self.name, "yq_kind": kind, "yq_url": url, "yq_detail": detail})

    def on_error(self, failure) -> None:
        url = failure.request.url
        if failure.check(HttpError):
            status = failure.value.response.status
            kind = f"http_{status}" if status < 500 else "http_5xx"
            self.fail(kind, url, f"HTTP {status} after retries")
        elif failure.check(IgnoreRequest):
            self.fail("robots_txt", url, "forbidden by the site's robots.txt (sources.<name>.obey_robots)")
        elif failure.check(TimeoutError, TCPTimedOutError):
            self.fail("timeout", url, str(failure.value))
        elif failure.check(ConnectionRefusedError, DNSLookupError):
            self.fail("connection", url, str(failure.value))
        else:
            self.fail("download", url, repr(failure.value))

    def check_html(self, response) -> bool:
        """False (and counted) when an HTML page is a login wall or captcha instead of content.
        Judged by the URL, the <title> and captcha widgets, not by words anywhere in the page:
        a forum page has a login box and an article may well mention 验证码."""
        head = response.text[:6000]
        title = _TITLE.search(head)
        title = title.group(1) if title else ""
        if _CAPTCHA_URL.search(response.url) or _CAPTCHA.search(title) or _CAPTCHA_WIDGET.search(head):
            self.fail("captcha", response.url, "captcha page instead of content")
            return False
        if _LOGIN.search(response.url) or _LOGIN.search(title) or (
                'type="password"' in head and len(response.text) < 4000):
            self.fail("login_page", response.url, "login page instead of content (is the cookie expired?)")
            return False
        return True

    def load_json(self, response, jsonp: bool = False) -> Any | None:
        body = response.text
        if jsonp:
            m = _JSONP.match(body)
            body = m.group(1) if m else body
        try:
            return json.loads(body)
        except ValueError as e:
            if body.lstrip()[:1] == "<":
                if self.check_html(response):
                    self.fail("not_json", response.url, "an HTML page where JSON was expected")
            else:
                self.fail("bad_json", response.url, f"{e.msg} at char {e.pos} of {len(body)} (truncated body?)")
            return None

    # -- posts --------------------------------------------------------------------------------
    def topics_for(self, text: str, inherit: list[str] | tuple = ()) -> list[str]:
        return sorted(set(match_topics(self.topics, text)) | set(inherit))

    def since_for(self, query: str) -> datetime | None:
        seen = self.checkpoints.get(self.name, query)
        if seen is not None and seen > self.now + FUTURE:
            return None  # written by a misread date (before checkpoints were capped): worth one full crawl
        return seen

    def accept(self, post: dict, query: str | None, inherit: list[str] | tuple = ()) -> tuple[dict | None, bool]:
        """(item or None, reached_old). Old posts on the page are still yielded (their counters
        update through the idempotent _id) but tell the caller to stop paging."""
        try:
            when = parse_time(post["published_at"])
        except (KeyError, ValueError) as e:
            self.fail("format_changed", post.get("url") or "?", f"no usable publication time: {e}")
            return None, False
        if when < self.floor:
            self.stats.inc_value("yuqing/too_old")
            return None, True
        if when > self.now + FUTURE:
            # Kept (it is data), but counted: a misread date, or a platform clock far off.
            self.fail("future_time", post.get("url") or "?", f"published {when.isoformat()} is after the crawl "
                                                                f"({self.now.isoformat()})")
        old = False
        if query is not None:
            seen = self.since_for(query)
            old = seen is not None and when <= seen
            if old:
                self.stats.inc_value("yuqing/seen")  # known from the last crawl: proof the source still works
            # never past the crawl's own time: a future date must not make the next year "already seen"
            self.checkpoints.advance(self.name, query, min(when, self.now))
        topics = self.topics_for(f"{post.get('title') or ''}\n{post.get('text') or ''}", inherit)
        if not topics:
            self.stats.inc_value("yuqing/unmatched")
            return None, old
        post["topics"] = topics
        post.setdefault("platform", self.platform)
        post.setdefault("source", self.name)
        return post, old

    def closed(self, reason: str) -> None:
        if reason == "finished":
            self.checkpoints.save()
        if self.run is not None:
            self.run.leave(reason)
