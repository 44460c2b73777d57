"""Baidu Tieba: keyword search result pages, then each thread's floors (HTML).

Expected layout (tieba.baidu.com as public crawlers parse it; no saved page was found, so the
selectors are kept in one place, `SEL`, to be adjusted when the site changes):
- search `GET /f/search/res?ie=utf-8&qw=<kw>&rn=10&sm=1&pn=N` (sm=1: newest first):
  `div.s_post` → `span.p_title a[data-tid]`, `div.p_content` (snippet), `font.p_date`
  ("YYYY-MM-DD HH:MM", Beijing time), forum `a.p_forum font.p_violet`; next page `a.next`.
- thread `GET /p/<tid>?pn=N`: title `h3.core_title_txt` (or `h1.core_title_txt`); floors
  `div.l_post[data-field]` whose JSON has `author.user_name`, `author.user_id`,
  `content.post_id`, `content.post_no` and, on older pages, `content.date`; newer pages put the
  date in `span.tail-info`. Text: `div.d_post_content`. Next page: a link text "下一页".
Floor 1 is the thread itself (`post_id` = tid); later floors are replies with `parent_id` = tid.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text

SEL = {
    "result": "div.s_post",
    "result_link": "span.p_title a::attr(data-tid)",
    "result_date": "font.p_date::text",
    "next": "a.next::attr(href)",
    "title": "h3.core_title_txt::attr(title), h1.core_title_txt::attr(title), h3.core_title_txt::text",
    "floor": "div.l_post[data-field]",
    "floor_text": "div.d_post_content",
    "tail": "span.tail-info::text",
    "thread_next": "//a[text()='下一页']/@href",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


class TiebaSpider(BaseSpider):
    name = "tieba"
    platform = "tieba"

    def first_requests(self):
        for topic in self.topics:
            for kw in topic.keywords:
                yield self.search(kw, 1)

    def search(self, kw: str, pn: int):
        url = f"{self.source.base_url}/f/search/res?ie=utf-8&qw={quote(kw)}&rn=10&un=&only_thread=1&sm=1&pn={pn}"
        return self.request(url, self.parse_search, meta={"kw": kw, "pn": pn})

    def parse_search(self, response):
        if not self.check_html(response):
            return
        kw, pn = response.meta["kw"], response.meta["pn"]
        results = response.css(SEL["result"])
        if not results:
            if "s_post_list" not in response.text and "抱歉，没有找到" not in response.text:
                self.fail("format_changed", response.url, "no search result list on the page")
            return
        reached_old = False
        for r in results:
            tid = r.css(SEL["result_link"]).get()
            date = (r.css(SEL["result_date"]).get() or "").strip()
            if not tid or not _DATE.fullmatch(date):
                self.fail("format_changed", response.url, "search result without thread id or date")
                continue
            # the search hit moves the checkpoint and is checked against the floor; the posts come from the thread
            hit, old = self.accept({"published_at": date, "text": kw}, kw)
            reached_old = reached_old or old
            if hit is None or old:
                continue
            yield self.thread(tid, 1, kw)
        if not reached_old and response.css(SEL["next"]).get() and pn < self.max_pages:
            yield self.search(kw, pn + 1)

    def thread(self, tid: str, pn: int, kw: str, topics: list[str] | None = None):
        return self.request(f"{self.source.base_url}/p/{tid}?pn={pn}", self.parse_thread,
                            meta={"tid": tid, "pn": pn, "kw": kw, "topics": topics})

    def parse_thread(self, response):
        if not self.check_html(response):
            return
        tid, pn = response.meta["tid"], response.meta["pn"]
        title = html_text(response.css(SEL["title"]).get() or "")
        topics = response.meta["topics"]
        floors = response.css(SEL["floor"])
        if not floors:
            if "该贴已被删除" in response.text or "贴子不存在" in response.text:
                self.stats.inc_value("yuqing/deleted")
            else:
                self.fail("format_changed", response.url, "thread page without floors")
            return
        for f in floors:
            try:
                field = json.loads(f.attrib["data-field"])
                author, content = field.get("author") or {}, field["content"]
                pid, no = content["post_id"], int(content.get("post_no") or 0)
            except (ValueError, KeyError, TypeError):
                self.fail("format_changed", response.url, "floor whose data-field is not the expected JSON")
                continue
            date = content.get("date") or next((t for t in f.css(SEL["tail"]).getall() if _DATE.fullmatch(t.strip())), None)
            text = html_text(f.css(SEL["floor_text"]).get() or "")
            if not date:
                self.fail("format_changed", response.url, f"floor {no} without a date")
                continue
            if not text:
                self.stats.inc_value("yuqing/deleted")  # folded or removed floor
                continue
            first = no == 1
            post = {"post_id": str(tid) if first else str(pid), "parent_id": None if first else str(tid),
                    "url": f"https://tieba.baidu.com/p/{tid}" + ("" if first else f"?pid={pid}#{pid}"),
                    "title": title if first else None, "text": text, "published_at": date.strip(),
                    "author_id": author.get("user_id"), "author_name": author.get("user_name")}
            item, _ = self.accept(post, None, inherit=topics or [])
            if item is None:
                continue
            if first:
                topics = item["topics"]
            yield item
        if response.xpath(SEL["thread_next"]).get() and pn < self.source.thread_pages:
            yield self.thread(tid, pn + 1, response.meta["kw"], topics)
