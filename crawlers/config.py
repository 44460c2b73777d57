"""Config models for the `sources:` section (what to crawl, and how politely).

Politeness lives in `sources.defaults` and every source may override any of it, because a
platform's tolerance (and its robots.txt) differ: the merge happens here, at load time, so a
typo fails `yuqing config check` instead of a 3 a.m. crawl.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from yuqing.config import Strict


def _url(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    if not re.match(r"^https?://[^/\s]+", v):
        raise ValueError(f"{v!r} is not an http(s) URL such as https://m.weibo.cn")
    return v.rstrip("/")


class Politeness(Strict):
    """How hard a source may be hit. None means "inherit from sources.defaults"."""

    download_delay: float | None = Field(None, ge=0, description="seconds between requests to one domain")
    autothrottle: bool | None = None
    concurrency_per_domain: int | None = Field(None, ge=1, le=64)
    retries: int | None = Field(None, ge=0, le=20)
    timeout: float | None = Field(None, gt=0, description="download timeout in seconds")
    user_agent: str | None = None
    obey_robots: bool | None = None
    proxies: list[str] | None = None
    max_pages: int | None = Field(None, ge=1, le=1000, description="pages per query (weibo search caps at ~50)")

    @field_validator("proxies")
    @classmethod
    def _proxies(cls, v: list[str] | None) -> list[str] | None:
        for p in v or []:
            if not re.match(r"^(https?|socks5h?)://\S+$", p):
                raise ValueError(f"{p!r} is not a proxy URL such as http://user:pass@10.0.0.2:3128")
        return v


DEFAULT_UA = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0 Mobile Safari/537.36 yuqing-monitor")


class Defaults(Politeness):
    download_delay: float = Field(1.0, ge=0)
    autothrottle: bool = True
    concurrency_per_domain: int = Field(2, ge=1, le=64)
    retries: int = Field(3, ge=0, le=20)
    timeout: float = Field(20, gt=0)
    user_agent: str = DEFAULT_UA
    obey_robots: bool = True
    proxies: list[str] = []
    max_pages: int = Field(50, ge=1, le=1000)
    lookback: str = Field("7d", pattern=r"^\d+[hd]$", description="how far back a first crawl goes, e.g. 48h or 7d")
    resumable: bool = Field(True, description="keep a Scrapy JOBDIR so an interrupted crawl resumes")
    backend: Literal["local", "redis"] = Field("local", description="local: one process, its queue and "
                                               "checkpoints on this machine; redis: `yuqing crawl` workers on "
                                               "several machines share one queue, dupefilter and checkpoints")
    redis_url: str | None = Field(None, validate_default=True, description="the shared Redis for backend: "
                                  "redis, e.g. redis://10.0.0.5:6379/0; read it from ${YUQING_REDIS_URL}")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v in (None, ""):
            if info.data.get("backend") == "redis":
                raise ValueError("backend: redis needs the Redis every crawl worker shares: set redis_url: "
                                 "${YUQING_REDIS_URL} and export YUQING_REDIS_URL=redis://10.0.0.5:6379/0, "
                                 "or use backend: local")
            return None
        if not re.match(r"^(redis|rediss|unix)://\S+$", v):
            raise ValueError(f"{v!r} is not a Redis URL such as redis://10.0.0.5:6379/0 "
                             "(rediss:// for TLS, unix:///run/redis.sock)")
        return v


class Source(Politeness):
    enabled: bool = True
    base_url: str | None = None

    _base = field_validator("base_url")(classmethod(lambda cls, v: _url(v)))


class WeiboSource(Source):
    base_url: str | None = "https://m.weibo.cn"
    cookie: str | None = Field(None, description="the logged-in m.weibo.cn cookie; read it from ${WEIBO_COOKIE}")
    comments: bool = True
    comment_pages: int = Field(3, ge=0, le=100)
    obey_robots: bool | None = False  # m.weibo.cn robots.txt disallows everything; the API is public
    search: Literal["mobile", "pc"] = Field("mobile", description="mobile: m.weibo.cn JSON, newest first; "
                                            "pc: s.weibo.com HTML with time slices, for long ranges")
    pc_base_url: str | None = "https://s.weibo.com"
    slice_hours: int = Field(24, ge=1, le=24 * 31, description="pc search: first slice length; a slice that "
                             "fills max_pages is split in halves down to one hour")

    _pc = field_validator("pc_base_url")(classmethod(lambda cls, v: _url(v)))


class BilibiliSource(Source):
    base_url: str | None = "https://api.bilibili.com"
    comments: bool = True
    comment_pages: int = Field(3, ge=0, le=100)
    cookie: str | None = None
    obey_robots: bool | None = False


class Feed(Strict):
    name: str = Field(min_length=1)
    url: str
    follow: bool = Field(True, description="fetch each article page and extract its main text")

    _u = field_validator("url")(classmethod(lambda cls, v: _url(v)))


class NewsSource(Source):
    feeds: list[Feed] = []


class Product(Strict):
    id: str = Field(pattern=r"^\d+$", description="the JD sku id in item.jd.com/<id>.html")
    name: str = Field(min_length=1)
    topic: str | None = None


class JdSource(Source):
    base_url: str | None = "https://club.jd.com"
    products: list[Product] = []
    obey_robots: bool | None = False


class TiebaSource(Source):
    base_url: str | None = "https://tieba.baidu.com"
    thread_pages: int = Field(2, ge=0, le=50)
    reply_pages: int = Field(1, ge=0, le=50, description="pages (10 each) of a floor's replies (楼中楼); 0: none")


class WechatSource(Source):
    base_url: str | None = "https://weixin.sogou.com"
    cookie: str | None = Field(None, description="a weixin.sogou.com cookie (SNUID, SUID) from your browser; "
                               "without it Sogou shows fewer pages and its antispider page sooner")


DESKTOP_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/156.0.0.0 Safari/537.36")


class Account(Strict):
    """One logged-in browser identity: the `storage_state` JSON (cookies and localStorage) that
    Playwright's `context.storage_state(path=…)` or a browser extension exports from the user's
    own logged-in browser. Config holds its path, never a password."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    storage_state: str = Field(min_length=1, description="path of the exported storage_state JSON")


class BrowserSource(Source):
    """A platform that signs its web API calls in page JavaScript: crawled by driving Chromium and
    capturing the JSON the page itself receives (crawlers/browser.py)."""

    accounts: list[Account] = Field([], description="one browser context each; none: one anonymous context")
    chromium: str | None = Field(None, description="the Chromium executable; default: chromium on PATH")
    headless: bool = True
    page_timeout: float = Field(20, gt=0, description="seconds to wait for the page's own API response")
    comments: bool = True
    comment_pages: int = Field(2, ge=0, le=50, description="comment pages (the page loads one per scroll)")
    concurrency_per_domain: int | None = 1  # these platforms ban quickly
    download_delay: float | None = 5.0
    user_agent: str | None = DESKTOP_UA  # never HeadlessChrome's own
    max_pages: int | None = 3
    obey_robots: bool | None = False  # the pages are opened as the user's own logged-in browser would

    @field_validator("accounts")
    @classmethod
    def _unique(cls, v: list[Account]) -> list[Account]:
        names = [a.name for a in v]
        if len(set(names)) != len(names):
            raise ValueError(f"account names must be unique, got {names}")
        return v


class XiaohongshuSource(BrowserSource):
    base_url: str | None = "https://www.xiaohongshu.com"
    api_url: str | None = "https://edith.xiaohongshu.com"
    sub_comments: bool = Field(True, description="open each comment's replies (展开回复)")

    _api = field_validator("api_url")(classmethod(lambda cls, v: _url(v)))


class DouyinSource(BrowserSource):
    base_url: str | None = "https://www.douyin.com"


class KuaishouSource(BrowserSource):
    base_url: str | None = "https://www.kuaishou.com"


class Site(Strict):
    """A forum or news site described by selectors only: a new site needs config, not code."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    start_urls: list[str] = Field(min_length=1)
    selector_type: Literal["css", "xpath"] = "css"
    item: str = Field(min_length=1, description="selects one list entry")
    fields: dict[str, str] = Field(description="field -> selector relative to the item (title, text, url, author, published_at, likes, comments)")
    next_page: str | None = None
    date_format: str | None = Field(None, description="strptime format, e.g. %Y-%m-%d %H:%M; ISO and epoch work without one")
    follow: str | None = Field(None, description="field whose URL is the detail page")
    detail_fields: dict[str, str] = {}
    obey_robots: bool | None = None

    @field_validator("start_urls")
    @classmethod
    def _starts(cls, v: list[str]) -> list[str]:
        return [_url(u) for u in v]  # type: ignore[misc]

    @model_validator(mode="after")
    def _need_fields(self) -> "Site":
        have = set(self.fields) | set(self.detail_fields)
        if "text" not in have and "title" not in have:
            raise ValueError("a site needs a 'text' or 'title' selector in fields or detail_fields")
        if self.follow and self.follow not in self.fields:
            raise ValueError(f"follow: {self.follow!r} is not one of the fields ({', '.join(self.fields)})")
        return self


class GenericSource(Source):
    sites: list[Site] = []


class SourcesConfig(Strict):
    defaults: Defaults = Defaults()
    replay: str | None = Field(None, description="base URL of `yuqing replay-site`; when set every spider crawls it")
    weibo: WeiboSource = WeiboSource()
    bilibili: BilibiliSource = BilibiliSource()
    news: NewsSource = NewsSource()
    jd_reviews: JdSource = JdSource()
    tieba: TiebaSource = TiebaSource()
    wechat: WechatSource = WechatSource()
    xiaohongshu: XiaohongshuSource = XiaohongshuSource()
    douyin: DouyinSource = DouyinSource()
    kuaishou: KuaishouSource = KuaishouSource()
    generic: GenericSource = GenericSource()

    _r = field_validator("replay")(classmethod(lambda cls, v: _url(v)))

    def source(self, name: str) -> Source:
        return getattr(self, name)

    def politeness(self, name: str) -> Defaults:
        """The defaults with the source's own overrides on top."""
        own = self.source(name).model_dump(include=set(Politeness.model_fields), exclude_none=True)
        return self.defaults.model_copy(update=own)
