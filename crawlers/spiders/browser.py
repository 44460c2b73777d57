"""What the browser-backed spiders (Xiaohongshu, Douyin, Kuaishou) share on top of BaseSpider.

A request opens the platform's own page in Chromium (scrapy-playwright, one browser context per
account from `sources.<platform>.accounts`); the page makes its signed API calls; the callback
waits for the JSON responses it needs among those the page received (`crawlers.browser.capture`)
and parses them like any JSON API. More results come the way a person gets them: scrolling
(the page loads the next page) or clicking "more replies". Topics, checkpoints, failures, the
summary, JOBDIR and the pipeline are BaseSpider's.

Failure kinds added here: `captcha` (HTTP 461/471, a verify page, a captcha in the JSON),
`login_page`, `no_response` (the page never made the expected call within `page_timeout`).
"""
from __future__ import annotations

import asyncio
import json
import re
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from crawlers import browser
from crawlers.spiders.base import BaseSpider

VERIFY_STATUS = {461: "HTTP 461 (verify)", 471: "HTTP 471 (verify)"}


class BrowserSpider(BaseSpider):
    def setup(self) -> None:
        super().setup()
        self.accounts = browser.account_names(self.source)
        reason = browser.unavailable(self.source) or self.crawler.settings.get("YUQING_BROWSER_PROBLEM")
        if reason:
            raise RuntimeError(f"{self.name}: {reason.replace('<platform>', self.name)}")
        self.turn = 0

    def first_requests(self):
        """One search page per topic keyword, opened in Chromium; `parse_search` reads it."""
        for topic in self.topics:
            for kw in topic.keywords:
                yield self.page(self.search_url(kw), self.parse_search, meta={"kw": kw})

    def search_url(self, kw: str) -> str:
        raise NotImplementedError(f"{type(self).__name__} names its search page")

    def page(self, url: str, callback, meta: dict | None = None, within=None) -> object:
        """A request that opens URL in Chromium: in the browser context of the page WITHIN (a
        response: a note opened from a search stays with the account that searched), else the
        next account's (round robin over the queries)."""
        if within is not None:
            account = within.meta["playwright_context"]
        else:
            account = self.accounts[self.turn % len(self.accounts)]
            self.turn += 1
        meta = {**(meta or {}), "playwright": True, "playwright_context": account, "playwright_include_page": True,
                "playwright_page_init_callback": "crawlers.browser.capture",
                "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"}}
        return self.request(url, callback, meta=meta, errback=self.page_error)

    async def page_error(self, failure) -> None:
        page = failure.request.meta.get("playwright_page")
        if page is not None and not page.is_closed():
            await page.close()
        self.on_error(failure)

    @asynccontextmanager
    async def using(self, response) -> AsyncIterator[object | None]:
        """The response's Chromium page, closed afterwards whatever happens; None (counted) when
        the page is a login wall or a verify page instead of the one asked for."""
        page = response.meta["playwright_page"]
        try:
            yield page if await self.opened(response) else None
        finally:
            await page.close()

    async def pages(self, page, pattern: str, what: str, limit: int, read: Callable[[object], dict | None],
                    more: Callable[[dict], bool], op: str | None = None) -> AsyncIterator[dict]:
        """Up to LIMIT successive API responses the page receives (scrolling for each next one),
        each as READ makes it of `(body, url)`; stops at the first that fails (READ counts it and
        returns None) or when `more(data)` says the platform has no further page."""
        for n in range(limit):
            data = read(await self.next_json(page, pattern, n, what, op=op))
            if data is None:
                return
            yield data
            if not more(data):
                return

    # -- reading what the page received ---------------------------------------------------------
    async def responses(self, page, pattern: str, have: int = 0, op: str | None = None, wait: bool = True,
                        scroll: bool = False) -> list:
        """The page's responses whose URL matches PATTERN (and GraphQL operation OP), once there are
        more than HAVE of them or `page_timeout` has passed. SCROLL: scroll down (again every half
        second, as a reader would while the page is still busy) to make the page load more."""
        rx = re.compile(pattern)
        start = time.monotonic()
        nudged = -1.0
        while True:
            hits = [r for r in getattr(page, "yq_captured", []) if rx.search(r.url) and (op is None or _op(r) == op)]
            now = time.monotonic()
            if len(hits) > have or not wait or now - start > self.source.page_timeout or page.is_closed():
                return hits
            if scroll and now - nudged >= 0.5:
                nudged = now
                await page.evaluate("window.scrollTo(0, document.body.scrollHeight);"
                                    "window.dispatchEvent(new Event('scroll'))")
            await asyncio.sleep(0.05)

    async def next_json(self, page, pattern: str, have: int, what: str, op: str | None = None):
        """(body, url) of the (HAVE+1)-th matching response; None when it failed (counted) or never
        came. Past the first, the page is scrolled to load it."""
        hits = await self.responses(page, pattern, have, op, scroll=have > 0)
        if len(hits) <= have:
            self.fail("no_response", self.real_url(page.url), f"the page made no {what} call within "
                      f"{self.source.page_timeout:.0f}s (layout changed, or a login/verify overlay?)")
            return None
        return await self.read(hits[have])

    async def read(self, r):
        url = self.real_url(r.url)
        if r.status in VERIFY_STATUS:
            self.fail("captcha", url, VERIFY_STATUS[r.status] + f" {r.headers.get('verifytype', '')}".rstrip())
            return None
        try:
            body = await r.text()
        except Exception as e:  # the page navigated away (a verify redirect) before the body was read
            self.fail("no_response", url, f"response body unavailable: {e}")
            return None
        if r.status in (401, 403, 406):
            self.fail("login_page" if r.status == 401 else f"http_{r.status}", url,
                      f"HTTP {r.status}: {body[:120]}")
            return None
        if r.status >= 400:
            self.fail("http_5xx" if r.status >= 500 else f"http_{r.status}", url, f"HTTP {r.status}")
            return None
        try:
            return json.loads(body), url
        except ValueError as e:
            self.fail("bad_json", url, f"{e} ({len(body)} chars)")
            return None

    async def opened(self, response) -> bool:
        """False (counted) when the page itself is a login wall or a verify page."""
        return self.check_html(response)


def _op(r) -> str | None:
    try:
        return json.loads(r.request.post_data or "{}").get("operationName")
    except ValueError:
        return None
