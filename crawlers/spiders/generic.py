"""Any forum or news list page described in `sources.generic.sites`: a new site needs config only.

Each site gives start URLs, a selector for one list entry, field selectors relative to the entry
(CSS or XPath), an optional next-page selector, a date format, and optionally a field whose URL
is a detail page with more field selectors. A selector ending in `::text`/`::attr(...)` (CSS) or
selecting `text()`/`@attr` (XPath) yields that string; any other selector yields the element's
readable text. Dates use the site's `date_format`, else ISO/epoch, else dateparser (which reads
"3小时前", "昨天 12:30" and friends) in Beijing time.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

import dateparser

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text
from yuqing.post import SHANGHAI, parse_time

_COUNT = re.compile(r"\d+(?:\.\d+)?\s*[万wWkK千亿]?")


def count(value: str | None) -> str | None:
    """'回复 1.2万' → '1.2万' (the post model turns that into 12000)."""
    m = _COUNT.search(value or "")
    return m.group(0).replace(" ", "") if m else None


def pick(sel, expr: str, kind: str) -> str | None:
    found = sel.css(expr) if kind == "css" else sel.xpath(expr)
    if not found:
        return None
    plain = "::text" in expr or "::attr" in expr if kind == "css" else ("text()" in expr or "/@" in expr or expr.startswith("@"))
    if plain:
        return " ".join(s.strip() for s in found.getall() if s.strip()) or None
    return html_text(found.get()) or None


def site_time(value: str, fmt: str | None, now: datetime) -> datetime:
    """A site's date: its `date_format`, else ISO/epoch, else dateparser read at `now` (relative
    forms from the crawl's clock; a date without a year is the most recent one, never a future one)."""
    if fmt:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            pass
    try:
        return parse_time(value)
    except ValueError:
        local = now.astimezone(SHANGHAI).replace(tzinfo=None)
        dt = dateparser.parse(value, languages=["zh", "en"],
                              settings={"TIMEZONE": "Asia/Shanghai", "RETURN_AS_TIMEZONE_AWARE": True,
                                        "RELATIVE_BASE": local, "PREFER_DATES_FROM": "past"})
        if dt is None:
            raise ValueError(f"not a date: {value!r}" + (f" (date_format {fmt!r})" if fmt else "")) from None
        return dt


class GenericSpider(BaseSpider):
    name = "generic"
    platform = "generic"

    def first_requests(self):
        for site in self.source.sites:
            for url in site.start_urls:
                yield self.request(url, self.parse_list, meta={"site": site.name, "page": 1})

    def site(self, name: str):
        return next(s for s in self.source.sites if s.name == name)

    def parse_list(self, response):
        if not self.check_html(response):
            return
        site, page = self.site(response.meta["site"]), response.meta["page"]
        entries = response.css(site.item) if site.selector_type == "css" else response.xpath(site.item)
        if not entries:
            self.fail("format_changed", response.url, f"no entries match {site.item!r}")
            return
        reached_old = False
        for e in entries:
            got = {f: pick(e, expr, site.selector_type) for f, expr in site.fields.items()}
            if got.get("url"):
                got["url"] = self.real_url(response.urljoin(got["url"]))
            if site.follow and got.get(site.follow):
                seen = self.since_for(site.name)
                if seen and got.get("published_at"):
                    try:
                        if site_time(got["published_at"], site.date_format, self.now) <= seen:
                            reached_old = True  # seen last time: no need to open it again
                            self.stats.inc_value("yuqing/seen")
                            continue
                    except ValueError:
                        pass
                yield self.request(got[site.follow], self.parse_detail, meta={"site": site.name, "got": got},
                                   errback=self.detail_failed)
                continue
            item, old = self.make(got, site, response.url)
            reached_old = reached_old or old
            if item:
                yield item
        nxt = pick(response, site.next_page, site.selector_type) if site.next_page else None
        if nxt and not reached_old and page < self.max_pages:
            yield self.request(self.real_url(response.urljoin(nxt)), self.parse_list,
                               meta={"site": site.name, "page": page + 1})

    def parse_detail(self, response):
        if not self.check_html(response):
            return
        site, got = self.site(response.meta["site"]), response.meta["got"]
        for f, expr in site.detail_fields.items():
            value = pick(response, expr, site.selector_type)
            if value:
                got[f] = value
        item, _ = self.make(got, site, response.url)
        if item:
            yield item

    def detail_failed(self, failure):
        self.on_error(failure)
        meta = failure.request.meta
        item, _ = self.make(meta["got"], self.site(meta["site"]), failure.request.url)
        if item:
            yield item  # the list entry alone is still worth keeping

    def make(self, got: dict, site, where: str) -> tuple[dict | None, bool]:
        if not got.get("published_at"):
            self.fail("format_changed", where, "entry without a date")
            return None, False
        try:
            when = site_time(got["published_at"], site.date_format, self.now)
        except ValueError as e:
            self.fail("format_changed", where, str(e))
            return None, False
        url = got.get("url") or where
        post = {"platform": site.name, "post_id": hashlib.sha1(url.encode()).hexdigest()[:20], "url": url,
                "title": got.get("title"), "text": got.get("text") or "", "published_at": when,
                "author_name": got.get("author"), "likes": count(got.get("likes")), "comments": count(got.get("comments")),
                "source": f"generic:{site.name}"}
        return self.accept(post, site.name)
