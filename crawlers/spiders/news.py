"""News sites through their RSS 2.0 / Atom feeds (`sources.news.feeds`), then each article page's
main text.

Feeds are parsed by feedparser (RSS 0.9x/1.0/2.0, Atom 0.3/1.0; `pubDate` RFC 822 or ISO 8601);
article pages by trafilatura, which separates the story from navigation, comments and footers
better than any per-site heuristic would. When the article cannot be fetched or has no
extractable text, the entry is still stored with the feed's own summary, and the problem is
counted. Entries at or before the feed's checkpoint are skipped: news items have no counters
worth refreshing.
"""
from __future__ import annotations

import calendar
import hashlib
from datetime import datetime, timezone

import feedparser
import trafilatura

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text


def entry_time(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            return datetime.fromtimestamp(calendar.timegm(t), tz=timezone.utc)
    return None


class NewsSpider(BaseSpider):
    name = "news"
    platform = "news"

    def first_requests(self):
        for feed in self.source.feeds:
            yield self.request(feed.url, self.parse_feed, meta={"feed": feed.model_dump()})

    def parse_feed(self, response):
        feed = response.meta["feed"]
        parsed = feedparser.parse(response.body, response_headers={"content-type": response.headers.get(
            "Content-Type", b"").decode("latin-1")})
        if not parsed.entries:
            if response.text.lstrip()[:1] == "<" and "<html" in response.text[:500].lower():
                if self.check_html(response):
                    self.fail("format_changed", response.url, "an HTML page where a feed was expected")
            else:
                self.fail("bad_feed", response.url, str(parsed.get("bozo_exception") or "no entries"))
            return
        seen = self.since_for(feed["name"])
        for e in parsed.entries:
            link = e.get("link")
            when = entry_time(e)
            if not link:
                self.fail("format_changed", response.url, f"entry without link: {e.get('title', '?')[:40]}")
                continue
            if when and (when < self.floor or seen and when <= seen):
                self.stats.inc_value("yuqing/too_old")
                continue
            summary = html_text(e.get("summary") or "")
            content = e.get("content") or []
            body = html_text(content[0].get("value")) if content else ""
            post = {"post_id": hashlib.sha1((e.get("id") or link).encode()).hexdigest()[:20], "url": link,
                    "title": html_text(e.get("title")), "text": body or summary, "published_at": when,
                    "author_name": e.get("author") or parsed.feed.get("title"), "tags": [feed["name"]]}
            if feed["follow"]:
                yield self.request(link, self.parse_article, meta={"post": post, "feed": feed["name"]},
                                   errback=self.article_failed)
            else:
                yield from self.finish(post, feed["name"])

    def parse_article(self, response):
        post = response.meta["post"]
        if self.check_html(response):
            doc = trafilatura.bare_extraction(response.text, url=post["url"], with_metadata=True)
            text = getattr(doc, "text", None) if doc is not None else None
            if text and len(text) > len(post["text"] or ""):
                post["text"] = text
                post["published_at"] = post["published_at"] or getattr(doc, "date", None)
                post["author_name"] = getattr(doc, "author", None) or post["author_name"]
            elif not text:
                self.fail("no_main_text", response.url, "trafilatura found no article text; kept the feed summary")
        yield from self.finish(post, response.meta["feed"])

    def article_failed(self, failure):
        self.on_error(failure)
        meta = failure.request.meta
        yield from self.finish(meta["post"], meta["feed"])

    def finish(self, post: dict, feed: str):
        if not post["published_at"]:
            self.fail("format_changed", post["url"], "no date in the feed entry or the article")
            return
        item, _ = self.accept(post, feed)
        if item:
            yield item
