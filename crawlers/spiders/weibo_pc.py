"""Weibo PC search (s.weibo.com) split into time slices: how long ranges get past the 50-page cap.

The mobile API has no time filter, so a keyword with more than ~500 posts in the wanted range
loses the older ones. `s.weibo.com/weibo?q=<kw>&typeall=1&suball=1&timescope=custom:<from>:<to>
&page=N` (hours as `YYYY-MM-DD-H`, Beijing time, both ends inclusive) does have one. The range
[since, now] is cut into `slice_hours` slices of whole hours that do not overlap; a slice whose results still fill `max_pages`
pages is cut in halves, down to one hour (the same workaround dataabc/weibo-search uses).

Expected layout (the current one as dataabc/weibo-search parses it; no saved page of it was
found, so the selectors live in `SEL`): `div.card-wrap[mid]` per post, author
`a.name[nick-name]` with its `href` `//weibo.com/<uid>`, text `p.txt[node-type=feed_list_content]`
(the full text, when cut, in `..._content_full`), time and link in `div.from > a` ("5分钟前",
"今天 13:45", "11月20日 13:45", "2023年11月20日 13:45"), counts in `div.card-act` (转发 N, 评论 N,
like count). Next page: `div.m-page a.next`. Without a cookie s.weibo.com sends a visitor/login
page, which is counted as `login_page`.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

from crawlers.spiders.weibo_dates import pc_time
from crawlers.text import html_text
from yuqing.post import SHANGHAI, parse_count

SEL = {
    "card": "div.card-wrap[mid]",
    "name": "a.name",
    "text": "p.txt[node-type=feed_list_content]",
    "full": "p.txt[node-type=feed_list_content_full]",
    "from": "div.from > a",
    "act": "div.card-act li",
    "next": "div.m-page a.next::attr(href)",
}
_NUM = re.compile(r"(\d+(?:\.\d+)?万?)")


def hour(dt: datetime) -> str:
    t = dt.astimezone(SHANGHAI)
    return f"{t:%Y-%m-%d}-{t.hour}"


class PcSearch:
    """Mixed into WeiboSpider when `sources.weibo.search: pc`."""

    def pc_first_requests(self):
        now = self.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        step = timedelta(hours=self.source.slice_hours)
        for topic in self.topics:
            for kw in topic.keywords:
                start = max(self.floor, self.since_for(kw) or self.floor).replace(minute=0, second=0, microsecond=0)
                end = now
                while end > start:  # newest slice first, so a scheduled run sees fresh posts first
                    yield self.pc_page(kw, max(start, end - step), end, 1)
                    end -= step

    def pc_page(self, kw: str, start: datetime, end: datetime, page: int):
        scope = f"custom:{hour(start)}:{hour(end - timedelta(hours=1))}"  # whole hours, both ends inclusive
        url = (f"{self.source.pc_base_url}/weibo?q={quote(kw)}&typeall=1&suball=1&timescope={quote(scope, safe=':')}"
               f"&Refer=g&page={page}")
        return self.request(url, self.parse_pc, meta={"kw": kw, "start": start, "end": end, "page": page})

    def parse_pc(self, response):
        if not self.check_html(response):
            return
        kw, start, end, page = (response.meta[k] for k in ("kw", "start", "end", "page"))
        cards = response.css(SEL["card"])
        if not cards:
            if "card-no-result" not in response.text and "抱歉，未找到" not in response.text:
                self.fail("format_changed", response.url, "no div.card-wrap[mid] and no 'no result' notice")
            return
        for c in cards:
            post = self.pc_post(c, response.url)
            if post is None:
                continue
            item, _ = self.accept(post, kw)
            if item:
                yield item
                yield from self.comments(item, parse_count(post.get("comments")))
        if not response.css(SEL["next"]).get():
            return
        if page < self.max_pages:
            yield self.pc_page(kw, start, end, page + 1)
        elif end - start > timedelta(hours=1):  # the slice is fuller than the cap: halve it
            self.stats.inc_value("yuqing/weibo_slices_split")
            mid = start + timedelta(hours=(end - start) // timedelta(hours=1) // 2)  # slices stay on whole hours
            yield self.pc_page(kw, mid, end, 1)
            yield self.pc_page(kw, start, mid, 1)
        else:
            self.fail("page_cap", response.url, f"more than {self.max_pages} pages within one hour; the rest is lost")

    def pc_post(self, c, url: str) -> dict | None:
        mid = c.attrib.get("mid")
        name = c.css(SEL["name"])
        when = " ".join(t.strip() for t in c.css(SEL["from"] + "::text").getall()[:1])
        text = c.css(SEL["full"]).get() or c.css(SEL["text"]).get()
        if not mid or not when or text is None:
            self.fail("format_changed", url, "a result card without mid, time or text")
            return None
        try:
            published = pc_time(when, self.now)
        except ValueError as e:
            self.fail("format_changed", url, str(e))
            return None
        uid = re.search(r"weibo\.com/(?:u/)?(\d+)", name.attrib.get("href", "")) if name else None
        counts = {}
        for li in c.css(SEL["act"]):
            label = html_text(li.get())
            n = _NUM.search(label)
            kind = "reposts" if "转发" in label else "comments" if "评论" in label else "likes"
            counts[kind] = n.group(1) if n else 0
        return {"platform": "weibo", "post_id": mid, "url": f"https://m.weibo.cn/detail/{mid}",
                "text": re.sub(r"\s*收起d?$", "", html_text(text)).strip(), "published_at": published,
                "author_id": uid.group(1) if uid else None,
                "author_name": name.attrib.get("nick-name") if name else None, **counts}
